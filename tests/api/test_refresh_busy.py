"""Refreshes and web writes while another job holds a lock: a queued refresh waits its turn or ends
failed, never `queued` for ever; a web write that cannot get the database lock in time answers 503 with
Retry-After, never 500."""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.db import connection

from tests.db_locks import write_lock_held
from tests.factories import api_token_for
from tests.servers import Daphne, child_env
from warehouse.load_lock import ADVISORY_KEY, load_lock, lock_path
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
    held = (
        f"the lock {lock_path()}"
        if connection.vendor == "sqlite"
        else f"the lock (PostgreSQL advisory lock {ADVISORY_KEY}, waited 3 s)"
    )
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


BUSY = {
    "success": False,
    "error": "The database is busy with another write (a load); try again in 5 s.",
    "retry_after": 5,
}


def http(server, method, path, *, headers=None, body=None):
    """(status, headers, body) from the real daphne; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_web_writes_answer_503_with_retry_after_while_another_writer_holds_the_lock(
    subprocess_env, staff_user, tmp_path
):
    # Busy timeouts of 1 s instead of 30 s, so the test waits seconds; the behaviour is the same.
    env = child_env(
        subprocess_env,
        redis_url=None,
        group=f"bedrot.test-{uuid.uuid4().hex[:12]}",
        SQLITE_BUSY_TIMEOUT_SECONDS=1,
        DATABASE_LOCK_TIMEOUT_SECONDS=1,
    )
    server = Daphne(env, tmp_path / "daphne.log")
    try:
        token = {"Authorization": f"Token {api_token_for(staff_user)}"}
        status, headers, page = http(server, "GET", "/admin/login/")
        assert status == 200
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        # The csrftoken cookie is Secure under production settings: sent by hand over plain HTTP.
        cookie = {"Cookie": f"csrftoken={re.search(r'csrftoken=([^;]+)', headers['Set-Cookie']).group(1)}"}
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "username": "staff", "password": "pw-staff-123", "next": "/admin/"}
        ).encode()
        login = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}

        with write_lock_held():  # a load's merge holds the write lock
            status, headers, body = http(
                server, "POST", "/api/refresh", headers={**token, "Content-Type": "application/json"}, body=b"{}"
            )
            assert (status, headers["Retry-After"], json.loads(body)) == (503, "5", BUSY)
            status, headers, body = http(server, "POST", "/admin/login/", headers=login, body=form)
            assert (status, headers["Retry-After"], json.loads(body)) == (503, "5", BUSY)
            status, _, body = http(server, "GET", "/api/loads", headers=token)  # reads go on
            assert (status, json.loads(body)["success"]) == (200, True)

        status, headers, _ = http(server, "POST", "/admin/login/", headers=login, body=form)
        assert (status, headers["Location"]) == (302, "/admin/")  # the same login once the lock is free
        assert "Traceback" not in server.log() and " 500 " not in server.log()
    finally:
        server.stop()
    assert LoadRun.objects.count() == 0
