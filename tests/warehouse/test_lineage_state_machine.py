"""The lineage state machine (warehouse/services/lineage.py) and the one "latest load run" read (warehouse/lineage.py)."""

import pytest
from django.db import connection
from django.utils import timezone

from warehouse import lineage, services
from warehouse.models import LoadRun, SourceFile
from warehouse.services.lineage import LOAD_RUN_TRANSITIONS, LoadRunTransitionRefused

pytestmark = pytest.mark.django_db
S = LoadRun.Status


def _stored(run: LoadRun) -> tuple:
    run = LoadRun.objects.get(pk=run.pk)
    return run.status, run.finished_at is not None, run.error


def test_a_queued_run_starts_then_finishes_with_its_counts():
    run = services.load_run_create(status=S.QUEUED, trigger=LoadRun.Trigger.API)
    assert _stored(run) == (S.QUEUED, False, "")
    services.load_run_start(run=run)
    assert _stored(run) == (S.RUNNING, False, "") and run.started_at is not None
    counts = {"files_loaded": 2, "files_skipped": 0, "files_rejected": 1, "files_ignored": 0}
    services.load_run_finish(
        run=run, counts={**counts, "rows_changed": 7, "rows_quarantined": 3}, progress={}, warnings=[]
    )
    stored = LoadRun.objects.get(pk=run.pk)
    assert (
        stored.status,
        stored.files_loaded,
        stored.files_rejected,
        stored.rows_changed,
        stored.rows_quarantined,
    ) == (
        S.SUCCEEDED_WITH_REJECTS,
        2,
        1,
        7,
        3,
    )
    assert stored.finished_at is not None and run.status == S.SUCCEEDED_WITH_REJECTS


def test_every_move_outside_the_table_is_refused_and_writes_nothing():
    refused = [
        (source, target) for source in S.values for target in S.values if target not in LOAD_RUN_TRANSITIONS[source]
    ]
    assert (S.SUCCEEDED, S.RUNNING) in refused and (S.QUEUED, S.SUCCEEDED) in refused
    for source, target in refused:
        run = LoadRun.objects.create(status=source)
        with pytest.raises(LoadRunTransitionRefused, match=f"from {source} to {target}"):
            services.load_run_transition(run=run, status=target)
        assert LoadRun.objects.get(pk=run.pk).status == source
    with pytest.raises(LoadRunTransitionRefused, match="cannot start as failed"):
        services.load_run_create(status=S.FAILED)
    with pytest.raises(LoadRunTransitionRefused, match="never recorded as skipped"):
        services.source_file_record(load_run=LoadRun.objects.first(), status=SourceFile.Status.SKIPPED, path="x.csv")


def test_a_run_another_process_moved_is_left_alone():
    run = services.load_run_create(status=S.QUEUED)
    elsewhere = LoadRun.objects.get(pk=run.pk)
    assert services.load_run_fail(run=elsewhere, error="abandoned: process 1 is gone")
    assert services.load_run_fail(run=run, error="not started: busy") is False  # read as queued, stored failed
    assert _stored(run) == (S.FAILED, True, "abandoned: process 1 is gone")
    with pytest.raises(LoadRunTransitionRefused, match=f"load run {run.pk} is no longer queued"):
        services.load_run_start(run=run)


def test_taking_the_lock_aborts_only_running_runs():
    running = services.load_run_create(status=S.RUNNING)
    queued = services.load_run_create(status=S.QUEUED)
    assert services.load_run_statuses_leading_to(status=S.ABORTED) == (S.QUEUED, S.RUNNING)  # restore_db's SQL
    assert services.load_runs_abort_stale() == 1
    assert _stored(running) == (S.ABORTED, True, "the process died while loading")
    assert _stored(queued) == (S.QUEUED, False, "")


def test_the_latest_run_for_each_reader():
    now = timezone.now()
    ok = services.load_run_create(status=S.SUCCEEDED, rows_changed=5)
    admin = services.load_run_create(status=S.SUCCEEDED, trigger=LoadRun.Trigger.ADMIN, rows_changed=1)
    failed = services.load_run_create(status=S.RUNNING)
    services.load_run_fail(run=failed, error="boom")
    running = services.load_run_create(status=S.RUNNING)
    services.load_run_create(status=S.QUEUED)
    latest = {
        (state, loads_only, changed): getattr(
            lineage.load_run_latest_get(state=state, loads_only=loads_only, changed_rows=changed), "pk", None
        )
        for state in ("finished", "succeeded", "started")
        for loads_only in (False, True)
        for changed in (False, True)
    }
    assert latest == {
        ("finished", False, False): failed.pk,
        ("finished", False, True): admin.pk,
        ("finished", True, False): failed.pk,
        ("finished", True, True): ok.pk,
        ("succeeded", False, False): admin.pk,
        ("succeeded", False, True): admin.pk,
        ("succeeded", True, False): ok.pk,
        ("succeeded", True, True): ok.pk,
        ("started", False, False): running.pk,
        ("started", False, True): admin.pk,
        ("started", True, False): running.pk,
        ("started", True, True): ok.pk,
    }
    failed.refresh_from_db()
    assert failed.finished_at >= now
    assert lineage.load_run_cache_token_get() == f"{failed.pk}:{_raw_finished_at(failed)}"


def _raw_finished_at(run: LoadRun) -> str:
    """finished_at as the database cursor returns it (the cache key is built from the raw row)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT finished_at FROM load_run WHERE id = %s", [run.pk])
        return str(cursor.fetchone()[0])
