"""Real processes: a loader SIGKILLed mid-file leaves nothing of that file and the rerun loads it exactly once;
two concurrent loaders: one loads, the other exits 3 and touches nothing."""

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from tests.db_locks import file_transaction_open
from tests.etl.helpers import by_path, curated, read_rows, run_loader, write_csv
from warehouse.load_lock import lock_path
from warehouse.models import LoadRun, RoyaltyLine, SourceFile

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COPIES = 4  # ~35k DK rows: a file transaction that lasts long enough to be killed inside


def big_lake(lake: Path) -> tuple[int, Decimal]:
    header, rows = read_rows(curated(lake, "dk_bank_details.csv"))
    many = [row for _ in range(COPIES) for row in rows]  # identical lines are legitimate: occurrence 1..n
    write_csv(curated(lake, "dk_bank_details.csv"), header, many)
    return len(many), sum((Decimal(r[12]) for r in many), Decimal(0))


def start_loader(lake: Path, env: dict, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "manage.py",
        "load_curated",
        "--lake",
        str(lake),
        "--source",
        "dk_bank_details",
        "--json",
        *extra,
    ]
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition, timeout: float = 60.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def test_sigkill_mid_file_leaves_nothing_and_the_rerun_loads_exactly_once(lake_copy, subprocess_env):
    rows, total = big_lake(lake_copy)
    loader = start_loader(lake_copy, subprocess_env)
    # inside the file's transaction for three probes in a row (not a short progress update)
    streak = [0]

    def inside():
        streak[0] = streak[0] + 1 if file_transaction_open() else 0
        return streak[0] >= 3

    wait_for(inside)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    assert loader.returncode == -signal.SIGKILL

    killed = LoadRun.objects.get()
    assert killed.status == "running"  # it never got to finish
    assert RoyaltyLine.objects.count() == 0
    assert SourceFile.objects.count() == 0  # the file is not marked loaded, so the rerun reads it
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA quick_check")
            assert cursor.fetchone()[0] == "ok"

    # PostgreSQL: the killed client's backend finishes the merge statement it was running (the merge is a few long
    # statements now) before it notices and frees the session's advisory lock
    wait_for(lambda: not load_lock_held_elsewhere())
    code, payload, _ = run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")
    assert code == 0
    entry = by_path(payload)["dk_bank_details.csv"]
    assert (entry["status"], entry["rows_inserted"], entry["rows_updated"]) == ("loaded", rows, 0)
    assert RoyaltyLine.objects.count() == rows
    assert RoyaltyLine.objects.aggregate(s=Sum("earnings_usd"))["s"] == total
    assert RoyaltyLine.objects.filter(load_run=killed).count() == 0
    killed.refresh_from_db()
    assert killed.status == "aborted"  # marked by the next holder of the lock
    assert list(SourceFile.objects.values_list("status", flat=True)) == ["loaded"]


def test_a_run_killed_after_some_files_committed_records_their_counts(lake_copy, subprocess_env):
    """Issue 10: the run record accounts for every file committed before a SIGKILL, not files_loaded = 0."""
    rows = [
        [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", f"purchase {i}", f"{i % 500}.{i % 100:02d}", "", "", "7113"]
        for i in range(60_000)
    ]  # a last file whose transaction lasts long enough to be killed inside
    write_csv(
        curated(lake_copy, "capitol_one_purchases_7113.csv"),
        ["Date", "Description", "Amount", "Category", "Status", "CardLast4"],
        rows,
    )
    first = ["tidy_daily_streams", "tiktok", "linktree"]
    loader = subprocess.Popen(
        [sys.executable, "manage.py", "load_curated", "--lake", str(lake_copy), "--source", *first, "capital_one"],
        cwd=settings.BASE_DIR,
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    streak = [0]

    def inside_the_last_file():
        committed = SourceFile.objects.filter(kind__in=first, status="loaded").count() == 3
        streak[0] = streak[0] + 1 if committed and file_transaction_open() else 0
        return streak[0] >= 3

    wait_for(inside_the_last_file)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    killed = LoadRun.objects.get()
    committed = list(SourceFile.objects.filter(load_run=killed).order_by("id"))
    assert [f.kind for f in committed] == first
    assert (killed.status, killed.files_loaded, killed.files_skipped, killed.files_rejected) == ("running", 3, 0, 0)
    assert killed.rows_changed == sum(f.rows_inserted + f.rows_updated for f in committed) == 468 + 308 + 365
    assert killed.rows_quarantined == 0


def load_lock_held_elsewhere() -> bool:
    if connection.vendor == "sqlite":
        with open(lock_path(), "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    with connection.cursor() as cursor:
        # Advisory locks are per database: other databases on the same server (parallel runs) don't count.
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid() "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0] > 0


@contextmanager
def database_writes_blocked():
    """Hold the database's write lock (SQLite) / the load_run table (PostgreSQL) from another connection, so a
    loader that has taken the load lock waits at its first write, for as long as the test needs."""
    if connection.vendor == "sqlite":
        blocker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as blocker:
        blocker.execute("LOCK TABLE load_run IN ACCESS EXCLUSIVE MODE")
        yield
        blocker.rollback()


def test_two_concurrent_loaders_one_loads_the_other_exits_3(lake_copy, subprocess_env):
    rows, total = big_lake(lake_copy)
    with database_writes_blocked():
        first = start_loader(lake_copy, subprocess_env, "--wait", "60")  # tolerant of the probe below
        wait_for(load_lock_held_elsewhere)
        second = start_loader(lake_copy, subprocess_env, "--wait", "0.2")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 3, err
        refusal = json.loads(out)  # --json: still exactly one object on stdout, saying why nothing ran
        assert refusal == {
            "run_id": None,
            "exit_code": 3,
            "error": "lock_held",
            "message": refusal["message"],
            "files": [],
            "warnings": [],
        }
        assert (
            refusal["message"].startswith("another load holds the lock") and "nothing was touched" in refusal["message"]
        )
        assert "load_curated: another load holds the lock" in err and "nothing was touched" in err
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert by_path(json.loads(out))["dk_bank_details.csv"]["rows_inserted"] == rows
    assert LoadRun.objects.count() == 1  # the second loader created no run
    assert RoyaltyLine.objects.aggregate(s=Sum("earnings_usd"))["s"] == total
