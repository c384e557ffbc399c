"""Ops tests work on their own SQLite files (backup_db & co. are SQLite tools), so they exercise the same real
path in the SQLite and the PostgreSQL pass of the suite. Commands run as real `manage.py` subprocesses."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def sqlite_env(base: dict, db: Path, backups: Path) -> dict:
    env = {**base, "DJANGO_SETTINGS_MODULE": "bedrot_site.settings_test", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    env["DATABASE_PATH"] = str(db)
    env["DATABASE_BACKUP_PATH"] = str(backups)
    return env


def manage(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def fingerprint(db: Path) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of every row ordered by all columns) per table, read without touching the file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        result = {}
        for table in tables:
            width = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
            order = ", ".join(str(i) for i in range(1, width + 1))
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
                digest.update(repr(row).encode())
                count += 1
            result[table] = (count, digest.hexdigest())
        return result
    finally:
        conn.close()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """A warehouse database file built once by a real `manage.py migrate` and `load_curated` of the sample lake."""
    folder = tmp_path_factory.mktemp("ops-template")
    db = folder / "template.db"
    env = sqlite_env(dict(os.environ), db, folder / "backups")
    done = manage(env, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr
    done = manage(env, "load_curated", "--lake", str(Path(settings.BASE_DIR) / "sample_lake"))
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy
    conn.close()
    return db


@pytest.fixture
def live_db(migrated_template, tmp_path) -> Path:
    """A fresh copy of the migrated template: the 'live' database of one test (closed, so copying is safe)."""
    db = tmp_path / "live" / "bedrot.db"
    db.parent.mkdir()
    shutil.copyfile(migrated_template, db)
    return db


@pytest.fixture
def ops_env(subprocess_env, live_db, tmp_path) -> dict:
    return sqlite_env(subprocess_env, live_db, tmp_path / "backups")


KPIS = """
import datetime, json
from api.bodies import KPIS
from api.fields import shape
from warehouse.selectors import kpis_get
print(json.dumps(shape(KPIS, kpis_get(today=datetime.date(2025, 6, 1))), sort_keys=True))
"""


def kpis(env: dict, db: Path) -> dict:
    """What `/api/kpis` serves (its selector) from the database file `db`, computed by a separate process.

    Alert timestamps are the latest successful run's finish time; a restore is recorded as a run, so they are left
    out: the figures are what a restore must bring back."""
    done = manage({**env, "DATABASE_PATH": str(db)}, "shell", "--no-imports", "-c", KPIS)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    for alert in figures["alerts"]:
        alert.pop("timestamp")
    return figures
