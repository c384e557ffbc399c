"""load_curated drives a queued run through the lineage state machine (warehouse/services/lineage.py), dry runs too."""

import errno

import pytest

from etl import runs
from etl.lake import LakeUnreadable
from tests.etl.helpers import run_loader
from warehouse import services
from warehouse.models import LoadRun, SourceFile

pytestmark = pytest.mark.django_db


def _queued(*, dry_run: bool) -> LoadRun:
    return services.load_run_enqueue(
        trigger=LoadRun.Trigger.API, kinds=["tidy_daily_streams"], dry_run=dry_run, spawn=False
    )


def test_a_queued_dry_run_is_started_then_closed_with_its_report(sample_lake):
    run = _queued(dry_run=True)
    code, payload, _ = run_loader("--lake", str(sample_lake), "--run-id", str(run.pk))
    assert (code, payload["run_id"], [f["status"] for f in payload["files"]]) == (0, run.pk, ["loaded"])
    run.refresh_from_db()
    assert (run.status, run.files_loaded, run.error) == (LoadRun.Status.SUCCEEDED, 1, "")
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert SourceFile.objects.count() == 0  # the files' records went with the rollback


def test_a_queued_dry_run_that_fails_is_recorded_failed_not_left_unfinished(sample_lake, monkeypatch):
    unreadable = sample_lake / "4_curated" / "metaads"

    def walk_fails(curated):
        raise LakeUnreadable(unreadable, PermissionError(errno.EACCES, "Permission denied"))

    monkeypatch.setattr(runs, "curated_files", walk_fails)
    run = _queued(dry_run=True)
    code, _, err = run_loader("--lake", str(sample_lake), "--run-id", str(run.pk))
    assert (code, err) == (2, f"load_curated: cannot read {unreadable}: Permission denied; nothing was loaded\n")
    run.refresh_from_db()
    assert (run.status, run.error) == (
        LoadRun.Status.FAILED,
        f"LakeUnreadable: cannot read {unreadable}: Permission denied",
    )
    assert run.finished_at is not None
