"""The one `env` object every settings module reads from (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# `.env` is a developer convenience; real environment variables always win (read_env never overrides them).
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(64))'"


def secret_key_weak(key: str) -> bool:
    """Not a real secret: Django's placeholder, under 50 characters or under 5 distinct ones (Django's security.W009
    rule; settings.py refuses such a key when DEBUG is off, `check --deploy` reports it)."""
    return key.startswith("django-insecure") or len(key) < 50 or len(set(key)) < 5
