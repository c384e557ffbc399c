"""Refreshes and web writes while another job holds a lock (issue 16): a queued refresh waits its turn or ends
failed, never `queued` for ever."""

import time

import pytest
from django.db import connection

from etl.lock import ADVISORY_KEY, load_lock, lock_path
from warehouse.models import LoadRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def loader_env(monkeypatch, subprocess_env, tmp_path):
    """The detached loader a refresh spawns inherits this process's environment: the test database, an empty
    curated zone (it finishes at once) and a short wait for the lock."""
    for name, value in subprocess_env.items():
        monkeypatch.setenv(name, value)
    if "DATABASE_URL" not in subprocess_env:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "lake" / "4_curated").mkdir(parents=True)
    monkeypatch.setenv("DATA_LAKE_PATH", str(tmp_path / "lake"))
    monkeypatch.setenv("LOAD_QUEUED_WAIT_SECONDS", "3")


def finished(run_id: int, timeout: float = 90) -> LoadRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = LoadRun.objects.get(pk=run_id)
        if run.finished_at is not None:
            return run
        time.sleep(0.2)
    raise AssertionError(f"load run {run_id} is still {run.status}")


def test_refresh_queued_behind_another_job_fails_after_its_wait_or_runs_when_the_lock_frees(staff, loader_env):
    with load_lock(abort_stale=False):  # another job (a scheduled load, restore_db) holds the lock throughout
        response = staff.post("/api/refresh", {}, format="json")
        assert response.status_code == 202, response.content
        run = finished(response.json()["data"]["load_run_id"])
    held = (f"the lock {lock_path()}" if connection.vendor == "sqlite"
            else f"the lock (PostgreSQL advisory lock {ADVISORY_KEY}, waited 3 s)")
    if connection.vendor == "sqlite":
        held += " (waited 3 s)"
    assert (run.status, run.error) == ("failed", f"not started: another load holds {held}; nothing was touched")

    # The failed run blocks nothing: the next refresh is accepted, waits while the lock is held, then runs.
    with load_lock(abort_stale=False):
        response = staff.post("/api/refresh", {}, format="json")
        assert response.status_code == 202, response.content
        run_id = response.json()["data"]["load_run_id"]
        time.sleep(1)
        assert LoadRun.objects.get(pk=run_id).status == "queued"
    run = finished(run_id)
    assert (run.status, run.error, run.files_loaded) == ("succeeded", "", 0)
