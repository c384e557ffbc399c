"""restore_db where things are already wrong: a damaged live database, a schema-less one, a file that only looks like
a warehouse, a backup taken mid-load, and load-run ids that must never be handed out twice."""

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.ops.conftest import fingerprint, kpis, manage
from tests.ops.test_backup_restore import take_backup

pytestmark = pytest.mark.slow

RUN_COLUMNS = (
    "status, trigger, options, files_loaded, files_skipped, files_rejected, files_ignored, rows_changed, "
    "rows_quarantined, progress, error, created_at"
)


def add_run(db: Path, status: str) -> int:
    """A load run row as the loader writes it when a run starts (queued/running) or ends (succeeded)."""
    conn = sqlite3.connect(db)
    try:
        cursor = conn.execute(
            f"INSERT INTO load_run ({RUN_COLUMNS}) VALUES (?, 'cli', '{{}}', 0, 0, 0, 0, 1, 0, '{{}}', '', "
            "'2026-01-01 00:00:00')",
            (status,),
        )
        conn.commit()
        return cursor.lastrowid
    finally:
        conn.close()


def runs(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, status, error, finished_at IS NOT NULL FROM load_run ORDER BY id").fetchall()
    finally:
        conn.close()


def with_checksum(path: Path) -> Path:
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    return path


def test_a_damaged_live_database_is_replaced_only_with_no_safety_backup(ops_env, live_db):
    backup = take_backup(ops_env)
    expected = kpis(ops_env, live_db)  # what the backup holds
    data = bytearray(live_db.read_bytes())
    for start in range(4096 * 2, len(data) - 4096, 4096 * 3):
        data[start + 8 : start + 64] = b"\xff" * 56
    live_db.write_bytes(bytes(data))

    done = manage(ops_env, "restore_db", str(backup))
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"CommandError: refused: the current database {live_db} could not be saved before the restore ("
    )
    assert done.stderr.endswith(
        "). If it is damaged and you mean to replace it, run again with --no-safety-backup; nothing was restored\n"
    )
    assert live_db.read_bytes() == bytes(data)

    done = manage(ops_env, "restore_db", str(backup), "--no-safety-backup")
    assert done.returncode == 0, done.stderr
    assert kpis(ops_env, live_db) == expected


@pytest.mark.parametrize("target", ["missing", "empty file", "empty database"])
def test_a_schema_less_live_database_is_restored_into(ops_env, live_db, target):
    backup = take_backup(ops_env)
    expected = fingerprint(backup)
    live_db.unlink()
    if target == "empty file":
        live_db.touch()
    elif target == "empty database":
        sqlite3.connect(live_db).execute("CREATE TABLE unrelated (x)").connection.close()
    done = manage(ops_env, "restore_db", str(backup))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-2:] == [
        f"recorded the restore as load run {expected['load_run'][0] + 1}, announced to live clients",
        "migrations match this code",
    ]
    restored = fingerprint(live_db)
    assert restored.pop("load_run")[0] == expected.pop("load_run")[0] + 1
    assert restored == expected


def test_a_file_that_is_not_a_warehouse_is_refused(ops_env, live_db, tmp_path):
    before = fingerprint(live_db)
    only_migrations = tmp_path / "bedrot-20260101T000000000000Z.sqlite3"
    conn = sqlite3.connect(only_migrations)
    conn.execute(
        'CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
        '"app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)'
    )
    conn.close()
    done = manage(ops_env, "restore_db", str(with_checksum(only_migrations)))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"CommandError: refused: {only_migrations.name} failed its checks: not a warehouse database: no auth_user, "
        "artist, platform, load_run, source_file table; nothing was restored\n"
    )

    # every table present, but no migration recorded: still not a warehouse
    hollow = tmp_path / "hollow" / only_migrations.name
    hollow.parent.mkdir()
    shutil.copyfile(live_db, hollow)
    conn = sqlite3.connect(hollow)
    conn.execute("DELETE FROM django_migrations")
    conn.commit()
    conn.close()
    done = manage(ops_env, "restore_db", str(with_checksum(hollow)))
    assert done.stderr == (
        f"CommandError: refused: {hollow.name} failed its checks: not a warehouse database: django_migrations records "
        "no warehouse migration; nothing was restored\n"
    )
    assert fingerprint(live_db) == before


def test_a_backup_taken_mid_load_restores_no_phantom_run_and_ids_are_never_reused(ops_env, live_db):
    loaded = runs(live_db)
    running = add_run(live_db, "running")  # the load in progress when the backup is taken
    queued = add_run(live_db, "queued")
    backup = take_backup(ops_env)
    # after the backup: the load finished and two more ran; /ws clients have seen these ids
    conn = sqlite3.connect(live_db)
    conn.execute(
        "UPDATE load_run SET status = 'succeeded', finished_at = '2026-01-01 00:01:00' WHERE id IN (?, ?)",
        (running, queued),
    )
    conn.commit()
    conn.close()
    seen = [add_run(live_db, "succeeded"), add_run(live_db, "succeeded")]

    done = manage(ops_env, "restore_db", str(backup))
    assert done.returncode == 0, done.stderr
    assert "closed 2 load run(s) that were unfinished in the backup as aborted" in done.stdout.splitlines()
    interrupted = "interrupted: the database was restored from a backup taken while this run was unfinished"
    assert runs(live_db) == [
        *loaded,
        (running, "aborted", interrupted, 1),
        (queued, "aborted", interrupted, 1),
        (seen[-1] + 1, "succeeded", "", 1),  # the restore itself, above every id handed out before
    ]
    # the next run continues above it, never at an id a client already saw
    assert add_run(live_db, "succeeded") == seen[-1] + 2
