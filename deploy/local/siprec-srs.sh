#!/usr/bin/env bash
# Installs the real SIPREC recorder the e2e tests run against (drachtio-siprec-recording-server, MIT) into
# .state/siprec-srs/ of the repository, once: `npm pack` of the pinned version, then its own production
# dependencies in its own directory. Not in the workspace: the app requires packages it does not declare
# (uuid/v4, xml2js, lodash) and works only with the hoisting its own dependency tree gives them.
# Idempotent: a complete install is left alone. e2e/support/siprec-srs.ts runs it when the install is missing.
set -euo pipefail

VERSION=1.0.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/.state/siprec-srs"
DONE="$DIR/package/.installed-$VERSION"

if [[ -f "$DONE" ]]; then
  exit 0
fi

mkdir -p "$DIR"
# Test files run in parallel and each may call this: one installs, the others wait for it and find it done.
exec 9>"$DIR.lock"
flock 9
if [[ -f "$DONE" ]]; then
  exit 0
fi
# Built aside and renamed into place, so that a half-made install (interrupted) is never taken for one.
rm -rf "$DIR/package" "$DIR/work"
mkdir -p "$DIR/work"
cd "$DIR/work"
npm pack --silent "drachtio-siprec-recording-server@$VERSION" >/dev/null
tar xzf "drachtio-siprec-recording-server-$VERSION.tgz"
cd package
# npm would otherwise look upwards for a package.json and prune the repository's own dev dependencies.
[[ -f package.json ]] || { echo "siprec-srs: the packed package has no package.json" >&2; exit 1; }
npm install --prefix "$PWD" --omit=dev --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
touch ".installed-$VERSION"
mv "$DIR/work/package" "$DIR/package"
rm -rf "$DIR/work"
echo "siprec-srs: drachtio-siprec-recording-server@$VERSION installed in $DIR/package"
