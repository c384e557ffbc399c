"""Issue 10: the warehouse file is plain SQLite. Any tool can check and rebuild it: the schema's CHECK constraints
use built-in SQL only (no REGEXP, no Django-registered function), so the Python `sqlite3` module alone — no
Django — gets `ok` from integrity_check / quick_check on a loaded warehouse and on a `backup_db` output, can write
a track, and a `.dump`-style round trip (iterdump into a new file) serves the identical /api/kpis."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.ops.conftest import manage
from tests.servers import Daphne

pytestmark = pytest.mark.slow
BACKUP_LINE = re.compile(r"^backup (?P<path>\S+\.sqlite3) ")


def plain_check(db: Path) -> tuple[list, list]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # nothing but the standard library
    try:
        return conn.execute("PRAGMA integrity_check").fetchall(), conn.execute("PRAGMA quick_check").fetchall()
    finally:
        conn.close()


def served_kpis(env: dict, db: Path, log: Path) -> dict:
    server = Daphne({**env, "DATABASE_PATH": str(db), "API_PUBLIC_READ": "true"}, log)
    try:
        status, body = server.http_get("/api/kpis")
    finally:
        server.stop()
    assert status == 200, body[:500]
    payload = json.loads(body)
    payload["metadata"].pop("generated_at")  # the request time; last_updated and load_run_id come from the file
    for alert in payload["data"]["alerts"]:
        alert.pop("timestamp")
    return payload


def test_plain_sqlite3_checks_and_rebuilds_the_warehouse_file(ops_env, live_db, tmp_path):
    assert plain_check(live_db) == ([("ok",)], [("ok",)])
    conn = sqlite3.connect(live_db)
    try:
        schema = "\n".join(sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
        assert "REGEXP" not in schema.upper() and "django_" not in re.sub(r'"django_\w+"', "", schema)
        # the CHECK still guards the ISRC shape, evaluated by SQLite itself
        conn.execute(
            "INSERT INTO track (isrc, title, upc, release_type, needs_review, created_at) "
            "VALUES ('QZAAA2500001', 'ok', '', '', 0, '2026-01-01 00:00:00')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="track_isrc_valid"):
            conn.execute(
                "INSERT INTO track (isrc, title, upc, release_type, needs_review, created_at) "
                "VALUES ('qz-aaa2500002', 'bad', '', '', 0, '2026-01-01 00:00:00')"
            )
        conn.rollback()
    finally:
        conn.close()

    done = manage(ops_env, "backup_db")
    assert done.returncode == 0, done.stderr
    backup = Path(BACKUP_LINE.match(done.stdout.splitlines()[0])["path"])
    assert plain_check(backup) == ([("ok",)], [("ok",)])

    rebuilt = tmp_path / "rebuilt.db"
    source, target = sqlite3.connect(live_db), sqlite3.connect(rebuilt)
    try:
        target.executescript("\n".join(source.iterdump()))
    finally:
        source.close()
        target.close()
    assert plain_check(rebuilt) == ([("ok",)], [("ok",)])
    original = served_kpis(ops_env, live_db, tmp_path / "daphne-live.log")
    assert original["data"]["marketing"]["total_spend_usd"] == 1889.10
    assert original["data"]["streaming"]["total_streams_all_time"] == 1_103_695
    assert served_kpis(ops_env, rebuilt, tmp_path / "daphne-rebuilt.log") == original
