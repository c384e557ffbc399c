#!/usr/bin/env bash
# One command from a fresh clone to a running warehouse on the embedded default:
# venv + deps, .env (first run), migrations, a staff user, the bundled sample lake, daphne on :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
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
echo "serving on http://127.0.0.1:${PORT:-8000} (admin at /admin/, API docs at /api/docs/, websocket at /ws)"
exec .venv/bin/daphne -b "${HOST:-127.0.0.1}" -p "${PORT:-8000}" bedrot_site.asgi:application
