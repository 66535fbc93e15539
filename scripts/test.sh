#!/usr/bin/env bash
# `make test`: install what the tests need, then run the whole suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_url=$(bash scripts/test-deps.sh | tail -1)
export CREDITBANK_TEST_PG="${CREDITBANK_TEST_PG:-$pg_url}"
export CREDITBANK_REQUIRE_INTEROP=1
export CREDITBANK_SHARED_DIR="${CREDITBANK_SHARED_DIR:-$(cd .. && pwd)/shared}"
.venv/bin/ruff check . >&2 || { echo "ruff check failed" >&2; exit 1; }
exec .venv/bin/python -m pytest "$@"
