#!/usr/bin/env bash
# The whole test suite, twice: on SQLite with the in-memory channel layer, then on PostgreSQL with Redis.
# Extra arguments go to pytest (e.g. scripts/test.sh -k loader).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements-dev.txt
bash scripts/system_deps.sh  # chromium, nginx-light, poppler-utils: installed if missing; fails loudly if they cannot be
echo "=== ruff (lint and format) ==="
.venv/bin/ruff check .
.venv/bin/ruff format --check .
bash scripts/services.sh  # PostgreSQL and Redis: started if down; fails loudly if they cannot be

echo "=== test suite on SQLite (in-memory channel layer) ==="
env -u DATABASE_URL -u REDIS_URL .venv/bin/python -m pytest "$@"

echo "=== test suite on PostgreSQL + Redis channel layer ==="
DATABASE_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}" \
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}" \
  .venv/bin/python -m pytest "$@"
