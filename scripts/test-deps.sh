#!/usr/bin/env bash
# Install what the test suite needs when it is missing: PostgreSQL (and start it), Chromium, a CJK font,
# Go with golang.org/x/mod, and the npm interop packages. Prints the PostgreSQL URL to use on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
apt_updated=0
need_pkgs=()

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want() { for p in "$@"; do have_pkg "$p" || need_pkgs+=("$p"); done; }

pg_ok() { PGCONNECT_TIMEOUT=3 psql "$1" -tAc 'select 1' >/dev/null 2>&1; }

want chromium fonts-wqy-microhei golang-go golang-golang-x-mod-dev nodejs npm
command -v psql >/dev/null 2>&1 || want postgresql postgresql-client
if ! pg_ok "postgresql://postgres@127.0.0.1:5432/postgres" && ! pg_ok "postgresql://postgres:postgres@127.0.0.1:5432/postgres"; then
  have_pkg postgresql || need_pkgs+=(postgresql)
fi
# Node 18+ is needed by the interop verifiers; an older distro node is replaced by the apt one only if absent.
command -v node >/dev/null 2>&1 && need_pkgs=("${need_pkgs[@]/nodejs}") && need_pkgs=("${need_pkgs[@]/npm}")

pkgs=()
for p in "${need_pkgs[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "test-deps: installing ${pkgs[*]}" >&2
  $SUDO apt-get update -qq >&2 && apt_updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >&2
fi

# PostgreSQL: reachable as postgres over TCP, trust or password "postgres".
PG_URL="postgresql://postgres@127.0.0.1:5432/postgres"
if ! pg_ok "$PG_URL"; then
  if ! pg_ok "postgresql://postgres:postgres@127.0.0.1:5432/postgres"; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      ver=$(ls /etc/postgresql | sort -V | tail -1)
      $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
      pg_ok "$PG_URL" || $SUDO su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >&2 || true
    fi
  fi
  pg_ok "$PG_URL" || PG_URL="postgresql://postgres:postgres@127.0.0.1:5432/postgres"
fi

# npm interop packages (offline afterwards): installed from the lock file.
if [ -f tests/interop/node/package-lock.json ] && [ ! -d tests/interop/node/node_modules ]; then
  (cd tests/interop/node && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
echo "${PG_URL/postgresql:/postgresql+psycopg:}"
