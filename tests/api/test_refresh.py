"""POST /api/refresh → load_run_enqueue → a detached `load_curated --run-id` process; 409 while a run is live;
a run whose process died never blocks forever."""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from warehouse import services
from warehouse.models import LoadRun


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # see tests/conftest.py: every transactional test
def test_refresh_runs_the_loader_in_the_background(staff, viewer, subprocess_env, monkeypatch):
    for key, value in subprocess_env.items():
        monkeypatch.setenv(key, value)  # the detached child inherits the server's environment: this test's DB
    response = staff.post("/api/refresh", {"kinds": ["dk_bank_details"]}, format="json")
    assert response.status_code == 202
    run_id = response.json()["data"]["load_run_id"]
    assert response.json()["data"] == {"load_run_id": run_id, "status": "queued"}
    assert response.json()["metadata"]["options"] == {"kinds": ["dk_bank_details"], "force": False, "dry_run": False}

    # while it is queued or running, a second request is refused with the live run's id
    second = staff.post("/api/refresh", {}, format="json")
    if LoadRun.objects.get(pk=run_id).status in ("queued", "running"):
        assert second.status_code == 409
        assert second.json() == {
            "success": False,
            "error": f"load run {run_id} already running",
            "data": {"load_run_id": run_id, "status": second.json()["data"]["status"]},
        }

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = viewer.get(f"/api/loads/{run_id}").json()["data"]
        if run["status"] not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert run["status"] == "succeeded", run
    assert run["trigger"] == "api" and run["options"] == {
        "kinds": ["dk_bank_details"],
        "force": False,
        "dry_run": False,
    }
    assert [(f["path"], f["status"], f["rows_read"]) for f in run["files"]] == [("dk_bank_details.csv", "loaded", 8635)]
    summary = viewer.get("/api/kpis/summary").json()["data"]
    assert (summary["total_revenue"], summary["total_streams"]) == (1587.06, 542_531)


@pytest.mark.django_db
def test_a_live_run_blocks_and_a_dead_one_does_not(staff_user):
    live = LoadRun.objects.create(
        status="running",
        trigger="api",
        started_at=timezone.now(),
        options={"pid": os.getpid(), "host": socket.gethostname()},
    )
    with pytest.raises(services.LoadRunConflict) as conflict:
        services.load_run_enqueue(trigger="api", requested_by=staff_user, spawn=False)
    assert conflict.value.run.pk == live.pk

    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    LoadRun.objects.filter(pk=live.pk).update(options={"pid": exited.pid, "host": socket.gethostname()})
    run = services.load_run_enqueue(trigger="api", requested_by=staff_user, kinds=["tiktok"], spawn=False)
    live.refresh_from_db()
    assert (live.status, live.error) == ("failed", f"abandoned: process {exited.pid} is gone")
    assert (run.status, run.trigger, run.requested_by, run.options) == (
        "queued",
        "api",
        staff_user,
        {"kinds": ["tiktok"], "force": False, "dry_run": False},
    )


@pytest.mark.django_db
def test_a_run_without_a_known_process_blocks_until_it_goes_stale(settings):
    queued = LoadRun.objects.create(status="queued", trigger="cli")
    with pytest.raises(services.LoadRunConflict):
        services.load_run_enqueue(trigger="api", spawn=False)
    LoadRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timezone.timedelta(seconds=3601))
    settings.LOAD_RUN_STALE_AFTER_SECONDS = 3600
    assert services.load_run_enqueue(trigger="websocket", force=True, spawn=False).options["force"] is True
    assert LoadRun.objects.get(pk=queued.pk).status == "failed"


@pytest.mark.django_db
def test_refresh_validates_its_body(staff):
    response = staff.post("/api/refresh", {"kinds": ["spreadsheet"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith('kinds: unknown kind "spreadsheet" (allowed: ')
    assert "dk_bank_details, " in response.json()["error"]  # the loader's registry names the kinds
    assert staff.post("/api/refresh", {"force": "often"}, format="json").json() == {
        "success": False,
        "error": "force: Must be a valid boolean.",
    }
