#!/usr/bin/env bash
# The local stack: installs what is missing, starts PostgreSQL, nats-server (JetStream) and rtpengine on
# 127.0.0.1 with state under .state/, and stops exactly what it started (by pid).
#
#   deploy/local/stack.sh install   # Debian packages and npm dependencies that are missing
#   deploy/local/stack.sh up        # start (idempotent), create databases, apply migrations
#   deploy/local/stack.sh down      # stop what `up` started
#   deploy/local/stack.sh status    # what runs where
#   deploy/local/stack.sh env       # shell exports for the running stack (eval "$(... env)")
#
# Set CALLCTL_DATABASE_ADMIN_URL (a postgres:// URL of a role that may CREATE DATABASE) to use a PostgreSQL
# you run yourself instead of the project-local cluster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.state"
RUN="$STATE/run"
LOG="$STATE/log"
# Ports: the defaults in ports.env, unless `up` had to move one because another process held it; the
# ports in use are recorded in .state/stack.env so that `env` and `down` agree with `up`.
# shellcheck source=/dev/null
[ -f "$STATE/stack.env" ] && source "$STATE/stack.env"
# shellcheck source=deploy/local/ports.env
source "$ROOT/deploy/local/ports.env"
PORT_VARS=(CALLCTL_PG_PORT CALLCTL_NATS_PORT CALLCTL_NATS_MONITOR_PORT CALLCTL_RTPENGINE_NG_PORT
  CALLCTL_RTPENGINE_MEDIA_MIN CALLCTL_RTPENGINE_MEDIA_MAX CALLCTL_RTPENGINE_DTMF_PORT CALLCTL_SIP_PORT
  CALLCTL_SIP_ADMIN_PORT CALLCTL_ORCHESTRATOR_GRPC_PORT CALLCTL_SIP_EDGE_GRPC_PORT CALLCTL_MEDIA_WORKER_GRPC_PORT
  CALLCTL_TTS_GRPC_PORT CALLCTL_MEDIA_LIBRARY_GRPC_PORT CALLCTL_RECORDING_GRPC_PORT CALLCTL_MIXER_GRPC_PORT
  CALLCTL_MIXER_RTP_MIN CALLCTL_MIXER_RTP_MAX CALLCTL_CALLBACK_GRPC_PORT CALLCTL_CALLBACK_IIF_PORT)

# The databases `up` creates and migrates: the platform's, the template tests clone, and the callback
# service's own event log (services/callback: an application of the public API, with a database of its own).
DATABASES=(callctl callctl_template callctl_callback)

# netcat-openbsd: `nc -u`, the application server of make dev's callback walk-through (README "Callbacks").
# openssl: make dev's dev CA and certificate for TLS/WSS (deploy/local/dev-tls), and the tests' throwaway CAs.
DEBIAN_PACKAGES=(postgresql nats-server rtpengine-daemon sip-tester espeak-ng sox ffmpeg kamailio baresip-core linphone-cli
  netcat-openbsd openssl)
# dnsmasq-base: the local DNS server (NAPTR, SRV, A records on a loopback port) of the RFC 3263 tests
# (libs/testing/src/dnsmasq.ts); only the binary, no system service.
DEBIAN_PACKAGES+=(dnsmasq-base)
# sipsak: a GnuTLS SIP client for the SIP-over-TLS tests.
DEBIAN_PACKAGES+=(sipsak)
# chromium: the real browser of the WebRTC tests (e2e/support/browser), driven headless by playwright-core.
DEBIAN_PACKAGES+=(chromium)

say() { printf '\033[36m[stack]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[stack] error:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && { echo "$dir"; return; }; done
  die "PostgreSQL server binaries not found (Debian package postgresql)"
}

cmd_install() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v node >/dev/null || die "Node.js 20 or newer is required"
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))"
  # npm install only when the lockfile changed since the last install (npm ci fails with lockfiles written
  # on this platform: they list only linux binaries of optional packages).
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "npm install"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error)
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# A default port held by a process that is not ours (another checkout's stack, a system service) is
# replaced by a free one rather than failing: CI runs a fresh clone on a machine that may still run one.
claim_port() { # VAR tcp|udp
  local var=$1 proto=$2
  if port_busy "$proto" "${!var}"; then
    local old=${!var}
    printf -v "$var" '%s' "$(free_port)"
    say "port $old is taken by another process; using ${!var} for $var"
  fi
}

save_ports() {
  local var
  for var in "${PORT_VARS[@]}"; do echo "$var=${!var}"; done >"$STATE/stack.env"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_busy() { # tcp|udp port
  if [ "$1" = tcp ]; then ss -Hltn "sport = :$2" | grep -q .; else ss -Hlun "sport = :$2" | grep -q .; fi
}

start_daemon() { # name pidfile logfile command...
  local name=$1 pidfile=$2 logfile=$3; shift 3
  setsid nohup "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! >"$pidfile"
  say "started $name (pid $(cat "$pidfile"), log ${logfile#"$ROOT"/})"
}

wait_until() { # description seconds command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out waiting for $what"
    sleep 0.1
  done
}

admin_url() {
  if [ -n "${CALLCTL_DATABASE_ADMIN_URL:-}" ]; then echo "$CALLCTL_DATABASE_ADMIN_URL"
  else echo "postgres://postgres@127.0.0.1:${CALLCTL_PG_PORT}/postgres"; fi
}
db_url() { local base; base=$(admin_url); echo "${base%/*}/$1"; }

up_postgres() {
  if [ -n "${CALLCTL_DATABASE_ADMIN_URL:-}" ]; then
    psql "$CALLCTL_DATABASE_ADMIN_URL" -Atqc 'select 1' >/dev/null || die "cannot reach CALLCTL_DATABASE_ADMIN_URL"
    return
  fi
  local bin data="$STATE/pg/data" sock="$STATE/pg/run"
  bin=$(pg_bin)
  if [ -f "$data/postmaster.pid" ] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null; then return; fi
  claim_port CALLCTL_PG_PORT tcp
  mkdir -p "$STATE/pg" "$sock"
  # PostgreSQL refuses to run as root: when we are root, the cluster belongs to the postgres user.
  local run=()
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$STATE/pg"; run=(su postgres -s /bin/sh -c); else run=(sh -c); fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initdb ${data#"$ROOT"/}"
    "${run[@]}" "'$bin/initdb' -D '$data' -U postgres --auth=trust --encoding=UTF8 --no-locale >'$STATE/pg/initdb.log' 2>&1" \
      || die "initdb failed: see .state/pg/initdb.log"
  fi
  "${run[@]}" "'$bin/pg_ctl' -D '$data' -l '$STATE/pg/postgres.log' -w -t 30 -o \"-c listen_addresses=127.0.0.1 -p $CALLCTL_PG_PORT -k '$sock' -c fsync=on -c max_connections=200\" start >/dev/null" \
    || die "PostgreSQL did not start: see .state/pg/postgres.log"
  say "started postgresql on 127.0.0.1:$CALLCTL_PG_PORT"
}

up_nats() {
  alive "$RUN/nats.pid" && return
  claim_port CALLCTL_NATS_PORT tcp
  claim_port CALLCTL_NATS_MONITOR_PORT tcp
  mkdir -p "$STATE/nats"
  start_daemon nats-server "$RUN/nats.pid" "$LOG/nats.log" \
    nats-server -a 127.0.0.1 -p "$CALLCTL_NATS_PORT" -m "$CALLCTL_NATS_MONITOR_PORT" -js -sd "$STATE/nats"
  wait_until "nats-server" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$CALLCTL_NATS_PORT"
}

up_rtpengine() {
  alive "$RUN/rtpengine.pid" && return
  claim_port CALLCTL_RTPENGINE_NG_PORT udp
  # Userspace only (--table=-1): containers and these machines have no kernel module. --config-file=none
  # keeps the packaged /etc/rtpengine/rtpengine.conf (interface=any) out of it. One media-player thread:
  # on a small machine, handing playbacks between threads costs more than it brings (README, Benchmarks).
  # Timeouts, explicit rather than the package's (README, "rtpengine timeouts"): a session that received no
  # RTP for 60 s, or nothing while on hold for 1 h, or that lived 4 h, or whose offer got no answer in
  # 5 min, is dropped by rtpengine; the media-worker notices and reports it (MediaSessionLost).
  start_daemon rtpengine "$RUN/rtpengine.pid" "$LOG/rtpengine.log" \
    rtpengine --config-file=none --table=-1 --interface=127.0.0.1 \
    --listen-ng="127.0.0.1:$CALLCTL_RTPENGINE_NG_PORT" --listen-tcp-ng="127.0.0.1:$CALLCTL_RTPENGINE_NG_PORT" \
    --port-min="$CALLCTL_RTPENGINE_MEDIA_MIN" --port-max="$CALLCTL_RTPENGINE_MEDIA_MAX" \
    --dtmf-log-dest="127.0.0.1:$CALLCTL_RTPENGINE_DTMF_PORT" \
    --timeout=60 --silent-timeout=3600 --final-timeout=14400 --offer-timeout=300 \
    --delete-delay=0 --media-num-threads=1 --foreground --log-stderr --log-level=5
  wait_until "rtpengine" 10 bash -c "ss -Hlun 'sport = :$CALLCTL_RTPENGINE_NG_PORT' | grep -q ."
}

ensure_database() {
  local name=$1
  psql "$(admin_url)" -Atqc "select 1 from pg_database where datname = '$name'" | grep -q 1 \
    || psql "$(admin_url)" -qc "create database \"$name\"" >/dev/null
}

migrations_digest() {
  local dir="$ROOT/libs/db/prisma/migrations"
  { admin_url; echo "${DATABASES[*]}"; if [ -d "$dir" ]; then find "$dir" -type f -print0 | sort -z | xargs -0 -r cat; fi; } | sha256sum | cut -d' ' -f1
}

cmd_migrate() {
  local db digest
  digest=$(migrations_digest)
  # The Prisma CLI takes seconds to start; skip it when these migrations were already applied here (to these
  # databases: the list is part of the digest, so a database added to it is created and migrated).
  if [ "${1:-}" != force ] && [ -f "$STATE/migrated.sha" ] && [ "$(cat "$STATE/migrated.sha")" = "$digest" ]; then return; fi
  mkdir -p "$LOG"
  for db in "${DATABASES[@]}"; do
    ensure_database "$db"
    (cd "$ROOT/libs/db" && DATABASE_URL="$(db_url "$db")" npm run -s migrate:deploy >"$LOG/migrate-$db.log" 2>&1) \
      || { cat "$LOG/migrate-$db.log" >&2; die "migrations failed on $db"; }
  done
  echo "$digest" >"$STATE/migrated.sha"
  say "migrations applied to ${DATABASES[*]}"
}

cmd_up() {
  mkdir -p "$RUN" "$LOG"
  up_postgres
  up_nats
  up_rtpengine
  save_ports
  cmd_migrate
}

stop_pidfile() { # name pidfile
  if alive "$2"; then
    local pid; pid=$(cat "$2")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped $1 (pid $pid)"
  fi
  rm -f "$2"
}

cmd_down() {
  stop_pidfile rtpengine "$RUN/rtpengine.pid"
  stop_pidfile nats-server "$RUN/nats.pid"
  local data="$STATE/pg/data"
  if [ -f "$data/postmaster.pid" ] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "'$(pg_bin)/pg_ctl' -D '$data' -m fast -w stop" >/dev/null
    else "$(pg_bin)/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    say "stopped postgresql"
  fi
}

cmd_env() {
  local var
  for var in "${PORT_VARS[@]}"; do echo "export $var='${!var}'"; done
  cat <<ENV
export DATABASE_URL='$(db_url callctl)'
export CALLCTL_CALLBACK_DATABASE_URL='$(db_url callctl_callback)'
export CALLCTL_TEST_ADMIN_URL='$(admin_url)'
export CALLCTL_TEST_TEMPLATE_DB='callctl_template'
export NATS_URL='nats://127.0.0.1:$CALLCTL_NATS_PORT'
export RTPENGINE_NG='127.0.0.1:$CALLCTL_RTPENGINE_NG_PORT'
ENV
}

cmd_status() {
  printf '%-12s %-28s %s\n' component address state
  local pg=down; psql "$(admin_url)" -Atqc 'select 1' >/dev/null 2>&1 && pg=up
  printf '%-12s %-28s %s\n' postgresql "$(admin_url | sed 's|.*@||; s|/.*||')" "$pg"
  printf '%-12s %-28s %s\n' nats-server "127.0.0.1:$CALLCTL_NATS_PORT" "$(alive "$RUN/nats.pid" && echo up || echo down)"
  printf '%-12s %-28s %s\n' rtpengine "127.0.0.1:$CALLCTL_RTPENGINE_NG_PORT (ng)" "$(alive "$RUN/rtpengine.pid" && echo up || echo down)"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  migrate) cmd_migrate force ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|up|down|migrate|env|status" >&2; exit 2 ;;
esac
