"""backup_db / restore_db on a real SQLite file, with a concurrent writer process and a concurrent lock holder."""

import hashlib
import re
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import MANAGE, fingerprint, kpis, manage

pytestmark = pytest.mark.slow

# Each transaction writes a load run and its source file (two FK-linked rows), like the loader does, through the
# ORM with the project's IMMEDIATE transactions; it prints the run's id after COMMIT.
WRITER = """
import os, time
from pathlib import Path
from django.db import transaction
from warehouse.models import LoadRun, SourceFile
stop = Path(os.environ["OPS_WRITER_STOP"])
i = 0
while not stop.exists():
    with transaction.atomic():
        run = LoadRun.objects.create(status="succeeded", options={"writer": i})
        SourceFile.objects.create(load_run=run, path=f"writer/{i}.csv", sha256=f"{i:064d}", status="loaded")
    print(run.pk, flush=True)
    i += 1
    time.sleep(0.005)
"""

BACKUP_LINE = re.compile(
    r"^backup (?P<path>\S+/bedrot-\d{8}T\d{12}Z\.sqlite3) \((?P<size>\d+) bytes, sha256 (?P<sha>[0-9a-f]{12})…, "
    r"(?P<tables>\d+) tables, (?P<rows>\d+) rows\): integrity_check ok, foreign_key_check ok, "
    r"row counts match the source$"
)


def start_writer(env: dict, stop: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, MANAGE, "shell", "--no-imports", "-c", WRITER],
        env={**env, "OPS_WRITER_STOP": str(stop)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_commits(writer: subprocess.Popen, count: int) -> int:
    last = 0
    for _ in range(count):
        line = writer.stdout.readline()
        assert line, writer.stderr.read()
        last = int(line)
    return last


def writer_rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT r.id, r.options, f.path, f.sha256 FROM load_run r LEFT JOIN source_file f ON f.load_run_id = r.id "
            "WHERE json_extract(r.options, '$.writer') IS NOT NULL ORDER BY r.id"
        ).fetchall()
    finally:
        conn.close()


def take_backup(env: dict, *extra: str) -> Path:
    done = manage(env, "backup_db", *extra)
    assert done.returncode == 0, done.stderr
    match = BACKUP_LINE.match(done.stdout.splitlines()[0])
    assert match, done.stdout
    path = Path(match["path"])
    assert hashlib.sha256(path.read_bytes()).hexdigest().startswith(match["sha"])
    return path


def test_backup_during_writes_restores_to_the_same_fingerprint(ops_env, live_db, tmp_path):
    backups = Path(ops_env["DATABASE_BACKUP_PATH"])
    kpis_before = kpis(ops_env, live_db)
    assert kpis_before["financial"]["total_revenue_usd"] == 1587.06  # the sample lake's oracle total is loaded
    stop = tmp_path / "stop"
    writer = start_writer(ops_env, stop)
    try:
        wait_for_commits(writer, 30)
        done = manage(ops_env, "backup_db", "--keep", "3")
        wait_for_commits(writer, 30)  # the writer kept committing during and after the backup
    finally:
        stop.touch()
        assert writer.wait(timeout=30) == 0, writer.stderr.read()
    assert done.returncode == 0, done.stderr
    match = BACKUP_LINE.match(done.stdout.strip())
    assert match, done.stdout

    # Exactly one backup and its sha256sum line; no temporary file left behind.
    backup = Path(match["path"])
    assert sorted(p.name for p in backups.iterdir()) == [backup.name, backup.name + ".sha256"]
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    assert (backups / f"{backup.name}.sha256").read_text() == f"{digest}  {backup.name}\n"
    assert backup.with_name(backup.name + "-wal").exists() is False

    # The backup is a transaction-consistent prefix of the writer's commits: every run has its file, no torn
    # transaction, and the source went on past it.
    source_rows, backup_rows = writer_rows(live_db), writer_rows(backup)
    assert 30 <= len(backup_rows) < len(source_rows)
    assert backup_rows == source_rows[: len(backup_rows)]
    assert all(row[2] == f"writer/{i}.csv" for i, row in enumerate(backup_rows))
    backup_print = fingerprint(backup)
    assert int(match["rows"]) == sum(count for count, _ in backup_print.values())
    assert int(match["tables"]) == len(backup_print)
    source_print = fingerprint(live_db)
    changed = {t for t in source_print if source_print[t] != backup_print[t]}
    assert changed == {"load_run", "source_file"}  # only what the writer touched after the snapshot

    # A connection that stays open across the restore (like a daphne worker's) sees the restored data.
    worker = sqlite3.connect(live_db)
    assert worker.execute("SELECT count(*) FROM load_run").fetchone()[0] == source_print["load_run"][0]
    newest_run = source_rows[-1][0]
    done = manage(ops_env, "restore_db", str(backup))
    assert done.returncode == 0, done.stderr
    # the backup's runs, plus the restore recorded as a run whose id continues after the newest ever handed out
    assert worker.execute("SELECT count(*) FROM load_run").fetchone()[0] == backup_print["load_run"][0] + 1
    assert worker.execute("SELECT max(id), options FROM load_run").fetchone() == (
        newest_run + 1,
        f'{{"restored_from": "{backup.name}", "sha256": "{hashlib.sha256(backup.read_bytes()).hexdigest()}"}}',
    )
    worker.close()
    lines = done.stdout.splitlines()
    saved = (
        backups / re.fullmatch(r"saved the current database as \S+/(pre-restore-\d{8}T\d{12}Z\.sqlite3)", lines[0])[1]
    )
    assert lines[1:] == [
        f"restored {backup} into {live_db}: {len(backup_print)} tables, {match['rows']} rows; "
        "journal_mode wal, WAL checkpointed (truncated); quick_check ok",
        f"recorded the restore as load run {newest_run + 1}, announced to live clients",
        "migrations match this code",
    ]
    restored_print = fingerprint(live_db)
    assert restored_print.pop("load_run")[0] == backup_print["load_run"][0] + 1
    assert restored_print == {table: value for table, value in backup_print.items() if table != "load_run"}
    assert kpis(ops_env, live_db) == kpis_before
    assert fingerprint(saved) == source_print  # what the restore replaced is kept, verified, with its checksum
    assert (backups / f"{saved.name}.sha256").read_text().startswith(hashlib.sha256(saved.read_bytes()).hexdigest())
    assert sorted(p.name for p in live_db.parent.iterdir() if "restore" in p.name) == []  # staged copy removed


def test_restore_refuses_a_truncated_a_corrupted_and_an_unverified_backup(ops_env, live_db, tmp_path):
    backup = take_backup(ops_env)
    before = fingerprint(live_db)
    sidecar = Path(f"{backup}.sha256")

    truncated = tmp_path / backup.name
    truncated.write_bytes(backup.read_bytes()[:-4096])
    Path(f"{truncated}.sha256").write_text(sidecar.read_text())
    done = manage(ops_env, "restore_db", str(truncated))
    assert done.returncode == 1
    digest = hashlib.sha256(truncated.read_bytes()).hexdigest()
    expected = sidecar.read_text()[:12]
    assert done.stderr.strip() == (
        f"CommandError: refused: {truncated.name} does not match its checksum (sha256 {digest[:12]}…, expected "
        f"{expected}…): the file is truncated or altered; nothing was restored"
    )

    # Corrupted pages with a matching (recomputed) checksum: integrity_check catches what the checksum cannot.
    corrupted = tmp_path / "corrupted" / backup.name
    corrupted.parent.mkdir()
    data = bytearray(backup.read_bytes())
    page = 4096
    for start in range(page * 2, len(data) - page, page * 3):
        data[start + 8 : start + 64] = b"\xff" * 56
    corrupted.write_bytes(bytes(data))
    Path(f"{corrupted}.sha256").write_text(f"{hashlib.sha256(bytes(data)).hexdigest()}  {corrupted.name}\n")
    done = manage(ops_env, "restore_db", str(corrupted))
    assert done.returncode == 1
    assert done.stderr.startswith(f"CommandError: refused: {corrupted.name} failed its checks: integrity_check: ")
    assert done.stderr.strip().endswith("; nothing was restored")

    unverified = tmp_path / "unverified" / backup.name
    unverified.parent.mkdir()
    unverified.write_bytes(backup.read_bytes())
    done = manage(ops_env, "restore_db", str(unverified))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"CommandError: {backup.name}: no checksum file {backup.name}.sha256 next to it; refusing an unverified backup"
    )
    assert fingerprint(live_db) == before
    assert [p.name for p in backup.parent.iterdir() if p.name.startswith("pre-restore")] == []


HOLD_LOCK = """
import sys
from warehouse.load_lock import load_lock
with load_lock(wait=0):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_restore_and_maintain_are_refused_while_a_load_holds_the_lock(ops_env, live_db):
    backup = take_backup(ops_env)
    conn = sqlite3.connect(live_db)
    conn.execute(
        "INSERT INTO load_run (status, trigger, options, files_loaded, files_skipped, files_rejected, "
        "files_ignored, rows_changed, rows_quarantined, progress, error, created_at) "
        "VALUES ('succeeded', 'cli', '{}', 0, 0, 0, 0, 0, 0, '{}', '', '2026-01-01 00:00:00')"
    )
    conn.commit()
    conn.close()
    before = fingerprint(live_db)
    holder = subprocess.Popen(
        [sys.executable, MANAGE, "shell", "--no-imports", "-c", HOLD_LOCK],
        env=ops_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n", holder.stderr.read()
        restore = manage(ops_env, "restore_db", str(backup))
        maintain = manage(ops_env, "maintain_db")
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    busy = f"CommandError: refused: another load holds the lock {live_db}.load.lock (waited 0 s); nothing was touched\n"
    assert (restore.returncode, restore.stdout, restore.stderr) == (3, "", busy)
    assert (maintain.returncode, maintain.stdout, maintain.stderr) == (3, "", busy)
    assert fingerprint(live_db) == before

    # Once the load is over the same restore goes through and removes the row inserted after the backup (the
    # restore is recorded as a run with the next id instead).
    inserted = sqlite3.connect(live_db).execute("SELECT max(id) FROM load_run").fetchone()[0]
    done = manage(ops_env, "restore_db", str(backup), "--no-safety-backup")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"restored {backup} into {live_db}: ")
    conn = sqlite3.connect(live_db)
    ids = [row[0] for row in conn.execute("SELECT id FROM load_run ORDER BY id")]
    conn.close()
    assert ids == [
        *(row[0] for row in sqlite3.connect(backup).execute("SELECT id FROM load_run ORDER BY id")),
        inserted + 1,
    ]


def test_prune_keeps_the_newest_n_and_a_failed_backup_leaves_nothing(ops_env, live_db):
    backups = Path(ops_env["DATABASE_BACKUP_PATH"])
    backups.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f".tmp-bedrot-20260101T000000000000Z-{dead.pid}.sqlite3"
    left_over = [backups / stale, backups / f"{stale}-journal"]
    for path in left_over:  # what a backup killed with -9 leaves
        path.write_bytes(b"partial")
    done = manage(ops_env, "backup_db", "--keep", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [f"removed {p.name}, left by a backup process that died" for p in left_over]
    taken = [Path(BACKUP_LINE.match(done.stdout.splitlines()[2])["path"])]
    taken += [take_backup(ops_env, "--keep", "2") for _ in range(2)]
    assert not taken[0].exists()
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [taken[1].name, taken[1].name + ".sha256", taken[2].name, taken[2].name + ".sha256"]
    )

    # A dangling foreign key (written with enforcement off) fails foreign_key_check on the copy.
    conn = sqlite3.connect(live_db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(
        "INSERT INTO source_file (load_run_id, kind, path, sha256, size_bytes, schema_variant, status, "
        "reason, message, rows_read, rows_inserted, rows_updated, rows_unchanged, rows_quarantined, "
        "rows_retracted, rows_ignored, counters, loaded_at) VALUES (999999, '', 'x.csv', '', 0, '', "
        "'loaded', '', '', 0, 0, 0, 0, 0, 0, 0, '{}', '2026-01-01 00:00:00')"
    )
    conn.commit()
    conn.close()
    before = {p.name: p.read_bytes() for p in backups.iterdir()}
    done = manage(ops_env, "backup_db", "--keep", "1")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "CommandError: backup failed its checks, nothing was kept: foreign_key_check: source_file row "
        f"{fingerprint(live_db)['source_file'][0]} → load_run"
    )
    assert {p.name: p.read_bytes() for p in backups.iterdir()} == before  # no partial file, nothing pruned


@pytest.mark.parametrize(
    ("command", "alternative"),
    [
        ("backup_db", "pg_dump --format=custom (and pg_restore to restore)"),
        ("restore_db", "pg_restore on a pg_dump archive"),
        ("maintain_db", "autovacuum (on by default) and ANALYZE / VACUUM (ANALYZE) when needed"),
    ],
)
def test_on_postgresql_the_commands_name_the_tool_to_use(ops_env, tmp_path, command, alternative):
    env = {**ops_env, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ops_never_connected"}
    args = [command, str(tmp_path / "any.sqlite3")] if command == "restore_db" else [command]
    if command == "restore_db":
        (tmp_path / "any.sqlite3").write_bytes(b"")
    done = manage(env, *args)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        f"CommandError: {command} works on the SQLite file only; this database is postgresql. "
        f"On PostgreSQL use {alternative}."
    )


def test_a_backup_that_runs_out_of_space_leaves_no_partial_file(ops_env, live_db):
    older = take_backup(ops_env)
    before = {p.name: p.read_bytes() for p in older.parent.iterdir()}
    limit = live_db.stat().st_size // 2  # the copy cannot be written in full: EFBIG, like a full disk

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write() instead of killing the process

    done = subprocess.run(
        [sys.executable, MANAGE, "backup_db", "--keep", "1"],
        env=ops_env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_disk,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert re.fullmatch(
        r"CommandError: backup failed: (disk I/O error|database or disk is full); nothing was kept, "
        r"older backups are untouched\n",
        done.stderr,
    ), done.stderr
    assert {p.name: p.read_bytes() for p in older.parent.iterdir()} == before  # nothing partial, nothing pruned
