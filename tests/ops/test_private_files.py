"""The live SQLite file, its backups and checksum files are owner-only (0600), whatever the umask; the plaintext
API tokens of DRF's authtoken table are hashed by `migrate` and leave no trace in the database file."""

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from tests.ops.conftest import MANAGE, sqlite_env

pytestmark = pytest.mark.slow


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    """manage.py with the common umask 022, under which new files are world-readable unless created otherwise."""
    done = subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_and_its_backups_are_owner_only(subprocess_env, tmp_path):
    db, backups = tmp_path / "live" / "bedrot.db", tmp_path / "backups"
    db.parent.mkdir()
    env = sqlite_env(subprocess_env, db, backups)
    run(env, "migrate", "--noinput")
    writer = sqlite3.connect(db)  # the database in use: WAL and shared-memory files exist
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("INSERT INTO django_content_type (app_label, model) VALUES ('x', 'y')")
    writer.commit()
    run(env, "shell", "--no-imports", "-c", "from warehouse.models import LoadRun; LoadRun.objects.count()")
    files = sorted(p.name for p in db.parent.iterdir())
    assert files == ["bedrot.db", "bedrot.db-shm", "bedrot.db-wal"]
    assert {name: mode(db.parent / name) for name in files} == {name: 0o600 for name in files}
    writer.close()

    done = run(env, "backup_db")
    backup = done.stdout.split()[1]
    assert mode(backups) == 0o700
    assert {name: mode(backups / name) for name in os.listdir(backups)} == {
        os.path.basename(backup): 0o600,
        os.path.basename(backup) + ".sha256": 0o600,
    }

    run(env, "maintain_db")  # takes the load lock: its file is created beside the database
    assert mode(db.parent / "bedrot.db.load.lock") == 0o600


DRF_TOKEN_TABLE = (
    'CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, '
    '"user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED)'
)
KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's documentation example key

WHO = """
from rest_framework.test import APIClient
client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Token " + "{key}")
print(client.get("/api/revenue/rps-rates").status_code, client.get("/api/health").status_code)
from warehouse.tokens import api_token_user
print(api_token_user(key="{key}").username)
"""


def test_migrate_hashes_drf_tokens_and_leaves_no_plaintext(subprocess_env, tmp_path):
    """A warehouse from before hashed tokens: DRF's authtoken_token holds a key; `migrate` keeps it working."""
    db = tmp_path / "bedrot.db"
    env = sqlite_env(subprocess_env, db, tmp_path / "backups")
    run(env, "migrate", "auth", "--noinput")
    run(env, "migrate", "warehouse", "0007", "--noinput")
    conn = sqlite3.connect(db)
    conn.execute(DRF_TOKEN_TABLE)
    conn.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,"
        " date_joined) VALUES ('!', 0, 'dashboard', '', '', '', 0, 1, '2025-01-01 00:00:00')"
    )
    conn.execute("INSERT INTO authtoken_token VALUES (?, '2025-02-03 04:05:06', 1)", (KEY,))
    conn.commit()
    conn.close()
    assert KEY.encode() in db.read_bytes()

    run(env, "migrate", "--noinput")
    conn = sqlite3.connect(db)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    rows = conn.execute("SELECT user_id, name, prefix, key_sha256, created_at FROM api_token").fetchall()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert "authtoken_token" not in tables
    assert rows == [(1, "migrated", "9944b091", hashlib.sha256(KEY.encode()).hexdigest(), "2025-02-03 04:05:06")]
    for path in tmp_path.iterdir():
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path.name

    done = run(env, "shell", "--no-imports", "-c", WHO.format(key=KEY))
    assert done.stdout.split("\n") == ["200 200", "dashboard", ""]
