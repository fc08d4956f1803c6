#!/usr/bin/env bash
# Builds the images with buildah: `build.sh <service>|db-migrate...` or `build.sh all`. Each image is
# services/<service>/Dockerfile (libs/db/Dockerfile for db-migrate) over the pruned context context.js prepares (compiled dist and production
# dependencies only), FROM the local base build-base.sh makes once, or FROM $BASE_IMAGE when set (e.g.
# BASE_IMAGE=docker.io/library/node:20-bookworm-slim where a registry is reachable).
# Tags: callctl/<service>:<package.json version> and callctl/<service>:git-<short sha>; never latest.
# Needs the compiled packages (`npx tsc -b`, which `make images` runs first). An image whose inputs did not
# change is kept as it is; IMAGES_REBUILD=1 runs buildah anyway. Prints one line per image:
# <service> <tag> <size>.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

IMAGES=(call-orchestrator sip-edge media-worker tts media-library recording mixer stream-gateway callback provisioning sip-engine db-migrate)

# Where an image's Dockerfile and version live: a service's directory, or libs/db for the migration job.
package_dir() { if [[ $1 == db-migrate ]]; then echo libs/db; else echo "services/$1"; fi; }

build_one() {
  local service=$1 base=$2 context version sha dir
  dir=$(package_dir "$service")
  [[ -f "$REPO_ROOT/$dir/Dockerfile" ]] || { echo "build: no $dir/Dockerfile" >&2; exit 2; }
  context=$(node "$REPO_ROOT/deploy/images/context.js" "$service")
  version=$(node -p "require('$REPO_ROOT/$dir/package.json').version")
  sha=$(git -C "$REPO_ROOT" rev-parse --short HEAD)
  # Everything the image is made of: the context's contents, the Dockerfile and the base. An image that
  # carries the same digest is up to date, and buildah (whose cached steps still cost seconds each on vfs)
  # is not run at all.
  local digest
  digest=$( {
    tar -C "$context" -cf - --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner .
    cat "$REPO_ROOT/$dir/Dockerfile"
    "${BUILDAH[@]}" images --quiet --no-trunc "$base"
  } | sha256sum | cut -d' ' -f1)
  if [[ -z "${IMAGES_REBUILD:-}" && $(image_label "localhost/callctl/$service:$version" callctl.build-digest) == "$digest" ]]; then
    "${BUILDAH[@]}" tag "localhost/callctl/$service:$version" "callctl/$service:git-$sha"
    report "$service" "$version"
    return
  fi
  # --layers keeps the steps before the application is copied (system packages) as a cache; docker
  # format, because OCI image configs have no HEALTHCHECK.
  "${BUILDAH[@]}" bud --quiet --isolation chroot --format docker --layers \
    --build-arg "BASE_IMAGE=$base" --label "callctl.build-digest=$digest" \
    --file "$REPO_ROOT/$dir/Dockerfile" \
    --tag "callctl/$service:$version" --tag "callctl/$service:git-$sha" \
    "$context" >/dev/null
  # The image this build replaced is left, untagged: removing it would take its untagged parents with it,
  # the cached system-package steps the next build reuses. `buildah --storage-driver vfs rmi --prune`
  # removes them all.
  report "$service" "$version"
}

image_label() {
  "${BUILDAH[@]}" inspect --type image --format "{{index .Docker.Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

report() {
  local size
  size=$("${BUILDAH[@]}" images --format '{{.Size}}' "localhost/callctl/$1:$2" | sed -n 1p)
  echo "$1 localhost/callctl/$1:$2 $size"
}

main() {
  [[ $# -gt 0 ]] || { echo "usage: build.sh <service>... | all" >&2; exit 2; }
  local services=("$@")
  [[ "$1" == all ]] && services=("${IMAGES[@]}")
  mkdir -p "$IMAGES_STATE"
  # One build at a time: parallel buildah builds on vfs only compete for the same disk and cores.
  exec 9>"$IMAGES_STATE/build.lock"
  flock 9
  local base="${BASE_IMAGE:-}"
  [[ -n "$base" ]] || base=$("$REPO_ROOT/deploy/images/build-base.sh")
  ensure_image_tools
  for service in "${services[@]}"; do build_one "$service" "$base"; done
}

main "$@"
