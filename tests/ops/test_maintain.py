"""maintain_db on a real SQLite file: VACUUM only when the free-page share is worth it, and nothing lost."""

import re
import sqlite3

import pytest

from tests.ops.conftest import fingerprint, manage

pytestmark = pytest.mark.slow

VACUUMED = re.compile(
    r"vacuum: done, (?P<free>\d+) of (?P<pages>\d+) pages were free \((?P<share>[\d.]+)% ≥ 20%\); now (?P<after>\d+) pages"
)


def test_maintain_vacuums_a_mostly_empty_file_then_skips(ops_env, live_db):
    conn = sqlite3.connect(live_db)
    conn.execute("PRAGMA journal_mode=WAL")  # as Django leaves every warehouse database
    conn.executemany(
        "INSERT INTO load_run (status, trigger, options, files_loaded, files_skipped, files_rejected, files_ignored, "
        "rows_changed, rows_quarantined, progress, error, created_at) "
        "VALUES ('failed', 'cli', '{}', 0, 0, 0, 0, 0, 0, '{}', ?, '2026-01-01 00:00:00')",
        [("x" * 3000,) for _ in range(1500)],
    )
    conn.commit()
    conn.execute("DELETE FROM load_run WHERE id > 10")
    conn.commit()
    conn.close()
    assert fingerprint(live_db)["load_run"][0] == 10
    kept = fingerprint(live_db)

    first = manage(ops_env, "maintain_db")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    match = VACUUMED.fullmatch(lines[2])
    assert match, first.stdout
    assert lines[:2] + lines[3:] == [
        "optimize: done",
        "wal_checkpoint: done, WAL truncated",
        "wal_checkpoint: done, WAL truncated",  # again after VACUUM, which wrote the rebuilt pages to the WAL
        "quick_check: ok, foreign_key_check: ok",
    ]
    pages, free, after = int(match["pages"]), int(match["free"]), int(match["after"])
    assert free / pages >= 0.2 and float(match["share"]) == round(100 * free / pages, 1)
    assert after <= pages - free + 2  # the free pages are gone (optimize may add a stats page)
    page_size = sqlite3.connect(live_db).execute("PRAGMA page_size").fetchone()[0]
    assert live_db.stat().st_size == after * page_size  # checkpointed and truncated into the main file
    assert fingerprint(live_db) == kept

    second = manage(ops_env, "maintain_db")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        "optimize: done",
        "wal_checkpoint: done, WAL truncated",
        f"vacuum: skipped, 0 of {after} pages free (0.0% < 20%)",
        "quick_check: ok, foreign_key_check: ok",
    ]
