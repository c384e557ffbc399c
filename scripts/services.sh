#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis the test suite's second pass uses are up, and the PostgreSQL database named in
# TEST_POSTGRES_URL exists (pytest-django creates test_<name> from it). Starts them with the machine's own commands
# when they are down; exits non-zero, naming what is missing, if that fails. Never skips: CI=true or not.
set -uo pipefail

PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL_="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
[[ "$PG_URL" =~ ^postgres(ql)?://([^:@/]+)(:[^@/]*)?@([^:/]+):([0-9]+)/([^?]+) ]] \
  || { echo "ERROR: TEST_POSTGRES_URL must look like postgres://user@host:port/db, got $PG_URL" >&2; exit 1; }
PG_USER="${BASH_REMATCH[2]}" PG_HOST="${BASH_REMATCH[4]}" PG_PORT="${BASH_REMATCH[5]}" PG_DB="${BASH_REMATCH[6]}"
[[ "$REDIS_URL_" =~ ^redis://([^:/]+):([0-9]+) ]] \
  || { echo "ERROR: TEST_REDIS_URL must look like redis://host:port/n, got $REDIS_URL_" >&2; exit 1; }
REDIS_HOST="${BASH_REMATCH[1]}" REDIS_PORT="${BASH_REMATCH[2]}"

pg_up() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }
redis_up() { (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null; }
wait_for() { for _ in $(seq 30); do "$1" && return 0; sleep 1; done; return 1; }

if ! pg_up; then
  echo "PostgreSQL is down on $PG_HOST:$PG_PORT: starting it"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in /etc/postgresql/*/; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start
    done
  else
    echo "no pg_ctlcluster here: start PostgreSQL yourself (or set TEST_POSTGRES_URL)" >&2
  fi
  wait_for pg_up
fi
if ! redis_up; then
  echo "Redis is down on $REDIS_HOST:$REDIS_PORT: starting it"
  if command -v redis-server >/dev/null; then
    mkdir -p /tmp/bedrot-redis
    redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /tmp/bedrot-redis --logfile "/tmp/bedrot-redis/redis-$REDIS_PORT.log" \
      --pidfile "/tmp/bedrot-redis/redis-$REDIS_PORT.pid"
  else
    echo "no redis-server here: start Redis yourself (or set TEST_REDIS_URL)" >&2
  fi
  wait_for redis_up
fi
pg_up || { echo "ERROR: PostgreSQL is not reachable on $PG_HOST:$PG_PORT and could not be started" >&2; exit 1; }
redis_up || { echo "ERROR: Redis is not reachable on $REDIS_HOST:$REDIS_PORT and could not be started" >&2; exit 1; }

# The base database: Django connects to it to create (and drop) the test database.
if command -v psql >/dev/null; then
  exists=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atc \
    "SELECT 1 FROM pg_database WHERE datname = '${PG_DB//\'/}'") \
    || { echo "ERROR: cannot log in to PostgreSQL as $PG_USER on $PG_HOST:$PG_PORT" >&2; exit 1; }
  if [ "$exists" != "1" ]; then
    echo "creating PostgreSQL database $PG_DB"
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "CREATE DATABASE \"${PG_DB//\"/}\"" || exit 1
  fi
fi
echo "PostgreSQL up on $PG_HOST:$PG_PORT (database $PG_DB), Redis up on $REDIS_HOST:$REDIS_PORT"
