#!/usr/bin/env bash
# One command from a fresh clone to a running warehouse on the embedded default:
# venv + deps, .env (first run), migrations, a staff user, the bundled sample lake, daphne serving the live
# dashboard at http://$HOST:$PORT/.
#
# PORT (default 8000) and HOST (default 127.0.0.1) choose where daphne listens; they come from the environment or
# from .env (the environment wins). A port already in use stops the script before anything else happens.
set -euo pipefail
cd "$(dirname "$0")/.."

dotenv_value() {  # the last NAME=value line of .env, if any
  [ -f .env ] && sed -n "s/^$1=//p" .env | tail -n 1 | tr -d '"'"'"' ' || true
}
PORT="${PORT:-$(dotenv_value PORT)}"; PORT="${PORT:-8000}"
HOST="${HOST:-$(dotenv_value HOST)}"; HOST="${HOST:-127.0.0.1}"

port_free() {  # binding is the only reliable test: a refused connect does not mean the bind would succeed
  "${PYTHON:-$(command -v python3.11 || command -v python3)}" - "$HOST" "$PORT" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
with socket.socket(family) as sock:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as daphne does: TIME_WAIT is not "in use"
    try:
        sock.bind((host, port))
    except OSError as exc:
        sys.exit(f"{exc.strerror}")
PY
}
check_port() {
  if ! why=$(port_free 2>&1); then
    echo "run.sh: cannot serve on $HOST:$PORT: $why. Another server is using the port;" \
         "stop it or pick another: PORT=8001 scripts/run.sh" >&2
    exit 1
  fi
}
echo "run.sh: will serve on http://$HOST:$PORT (set PORT / HOST in the environment or .env to change)"
check_port

bash scripts/bootstrap.sh requirements.txt
PY=.venv/bin/python

if [ ! -f .env ]; then
  # Local demo defaults: debug on, a fresh random secret key. Production sets real variables (README).
  secret=$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')
  printf 'DJANGO_DEBUG=true\nDJANGO_SECRET_KEY=%s\nDATA_LAKE_PATH=sample_lake\n' "$secret" > .env
  echo "created .env (DJANGO_DEBUG=true, random DJANGO_SECRET_KEY, DATA_LAKE_PATH=sample_lake)"
fi

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput --verbosity 0
$PY manage.py ensure_staff_user
$PY manage.py load_curated || [ $? -eq 1 ]  # 1 = some file rejected: reported above, the rest is loaded
check_port  # again: something may have taken it while we loaded
echo "run.sh: serving on http://$HOST:$PORT — open it in a browser and log in (dashboard at /, admin at /admin/," \
     "API docs at /api/docs/, websocket at /ws)"
exec .venv/bin/daphne -b "$HOST" -p "$PORT" bedrot_site.asgi:application
