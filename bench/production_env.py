"""The environment every benchmark runs Django under: production settings (DEBUG off, a throwaway secret key, no
`.env`), plain HTTP on loopback, the given SQLite file."""

import os
import secrets
from pathlib import Path


def production_env(*, database: Path, hosts: str = "127.0.0.1,localhost", **extra: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bedrot_site.settings",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": hosts,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_PATH": str(database),
        **extra,
    }
