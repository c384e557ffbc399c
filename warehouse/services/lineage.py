"""The lineage state machine: every change of a load run's or a source file's status goes through here.

    LoadRun   queued ──→ running ──→ succeeded | succeeded_with_rejects | failed | aborted
                 └──→ failed (never started: its process died, the lock stayed busy) | aborted (restore_db)
              A record of work done elsewhere (a staff change, a restore) is created `succeeded`.
    SourceFile recorded once, `loaded` (inside the file's transaction, with its quarantined rows) or `rejected`
              (after that transaction rolled back, on its own); `skipped` and `ignored` files are only reported.

A move the tables below do not allow raises LoadRunTransitionRefused (a bug, never data). A move whose run is no
longer in the status the caller read (another process got there first) changes nothing and returns False.
The reads ("the latest run") are in warehouse/lineage.py.
"""

import logging
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import django.dispatch
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from warehouse.lineage import ACTIVE_STATUSES
from warehouse.models import LoadRun, QuarantinedRow, SourceFile

logger = logging.getLogger("warehouse.services")
Status = LoadRun.Status

LOAD_RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.QUEUED: frozenset({Status.RUNNING, Status.FAILED, Status.ABORTED}),
    Status.RUNNING: frozenset({Status.SUCCEEDED, Status.SUCCEEDED_WITH_REJECTS, Status.FAILED, Status.ABORTED}),
    Status.SUCCEEDED: frozenset(),
    Status.SUCCEEDED_WITH_REJECTS: frozenset(),
    Status.FAILED: frozenset(),
    Status.ABORTED: frozenset(),
}
LOAD_RUN_CREATED = frozenset({Status.QUEUED, Status.RUNNING, Status.SUCCEEDED})
SOURCE_FILE_RECORDED = frozenset({SourceFile.Status.LOADED, SourceFile.Status.REJECTED})
_ENQUEUE_LOCK_KEY = 0x6265_6472  # PostgreSQL advisory lock id ("bedr"); SQLite's IMMEDIATE BEGIN serialises already

# Sent after a committed run that changed rows; realtime/apps.py connects the /ws broadcast (realtime imports
# warehouse, never the other way round).
load_run_committed = django.dispatch.Signal()


class LoadRunConflict(Exception):
    """A load run is already queued or running."""

    def __init__(self, run: LoadRun):
        super().__init__(f"load run {run.pk} already running")
        self.run = run


class LoadRunTransitionRefused(Exception):
    """A status change the lineage state machine does not allow."""


def _check(source: str, target: str) -> None:
    if target not in LOAD_RUN_TRANSITIONS[source]:
        raise LoadRunTransitionRefused(f"a load run cannot go from {source} to {target}")


def _finishing(target: str, fields: dict) -> dict:
    """A run that leaves the active states is finished: readers key on `finished_at` (warehouse/lineage.py)."""
    if target not in ACTIVE_STATUSES:
        fields.setdefault("finished_at", timezone.now())
    return fields


def load_run_statuses_leading_to(*, status: str) -> tuple[str, ...]:
    """The statuses a run may leave for `status` (restore_db closes a backup's runs in plain SQL with it)."""
    return tuple(source for source, targets in LOAD_RUN_TRANSITIONS.items() if status in targets)


def load_run_transition(*, run: LoadRun, status: str, **fields) -> bool:
    """Move `run` from the status it was read with to `status`, writing `fields` with it. False (nothing written)
    when the stored run has moved on meanwhile."""
    _check(run.status, status)
    fields = _finishing(status, fields)
    if not LoadRun.objects.filter(pk=run.pk, status=run.status).update(status=status, **fields):
        return False
    run.status = status
    for name, value in fields.items():
        setattr(run, name, value)
    return True


def load_run_create(*, status: str, trigger: str = LoadRun.Trigger.CLI, **fields) -> LoadRun:
    """A new run: `queued` (a refresh), `running` (the command line) or `succeeded` (work already done)."""
    if status not in LOAD_RUN_CREATED:
        raise LoadRunTransitionRefused(f"a load run cannot start as {status}")
    if status == Status.RUNNING:
        fields.setdefault("started_at", timezone.now())
    return LoadRun.objects.create(status=status, trigger=trigger, **_finishing(status, fields))


def load_run_start(*, run: LoadRun) -> LoadRun:
    """queued → running: the loader picked the run up (refused when the run was closed while it waited)."""
    if not load_run_transition(run=run, status=Status.RUNNING, started_at=timezone.now()):
        raise LoadRunTransitionRefused(f"load run {run.pk} is no longer queued")
    return run


def load_run_progress_record(*, run: LoadRun, progress: dict | None = None, counts: dict | None = None) -> None:
    """While running (autocommit, after each file): the current file, and the counts so far, so a run killed
    mid-way (SIGKILL, power loss) still accounts for the files it committed."""
    fields = {"progress": progress} if progress is not None else {}
    LoadRun.objects.filter(pk=run.pk).update(**fields, **(counts or {}))


def load_run_finish(*, run: LoadRun, counts: dict, progress: dict, warnings: list) -> LoadRun:
    """running → succeeded, or succeeded_with_rejects when a file was rejected."""
    status = Status.SUCCEEDED_WITH_REJECTS if counts["files_rejected"] else Status.SUCCEEDED
    load_run_transition(run=run, status=status, progress=progress, warnings=warnings, **counts)
    return run


def load_run_fail(*, run: LoadRun, error: str) -> bool:
    """queued or running → failed (the loader raised, or a queued run never got the lock)."""
    return load_run_transition(run=run, status=Status.FAILED, error=error)


def load_runs_abort_stale() -> int:
    """On taking the load lock: `running` runs are leftovers of a killed process → aborted."""
    _check(Status.RUNNING, Status.ABORTED)
    return LoadRun.objects.filter(status=Status.RUNNING).update(
        status=Status.ABORTED, finished_at=timezone.now(), error="the process died while loading"
    )


def load_run_announce(*, load_run_id: int) -> None:
    """After a commit that changed rows: tell live clients (outside any transaction; never raises)."""
    load_run_committed.send(sender=LoadRun, load_run_id=load_run_id)


def source_file_record(*, load_run: LoadRun, status: str, **fields) -> SourceFile:
    """A file the run read, recorded once as `loaded` or `rejected`."""
    if status not in SOURCE_FILE_RECORDED:
        raise LoadRunTransitionRefused(f"a source file is never recorded as {status}")
    return SourceFile.objects.create(load_run=load_run, status=status, **fields)


def source_file_outcome_record(*, source_file: SourceFile, quarantined: list[QuarantinedRow], **counts) -> None:
    """Inside a loaded file's transaction: its quarantined rows and its final counts."""
    QuarantinedRow.objects.bulk_create(quarantined, batch_size=500)
    SourceFile.objects.filter(pk=source_file.pk).update(rows_quarantined=len(quarantined), **counts)


# --- Queueing a refresh (API, /ws) ------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # reaps our own exited child (else it lingers as a zombie)
        if finished:
            return False
    except ChildProcessError:
        pass  # not our child: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def _load_run_dead_reason(run: LoadRun) -> str | None:
    """Why a queued/running run cannot still be working, or None while it may be."""
    pid, host = run.options.get("pid"), run.options.get("host")
    if pid and host == socket.gethostname():
        return None if _pid_alive(int(pid)) else f"process {pid} is gone"
    last_sign = run.started_at or run.created_at
    stale_after = getattr(settings, "LOAD_RUN_STALE_AFTER_SECONDS", 3600)
    if last_sign and (timezone.now() - last_sign).total_seconds() > stale_after:
        return f"no sign of life for more than {stale_after} s"
    return None


def load_run_enqueue(
    *,
    trigger: str,
    requested_by=None,
    kinds: list[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    spawn: bool = True,
) -> LoadRun:
    """Queue a load of the curated zone and start `manage.py load_curated --run-id <id>` detached, after commit.

    Raises LoadRunConflict while another run is queued or running. A run whose process died is marked failed
    first, so it never blocks refreshes forever. `options` carries kinds/force/dry_run for the loader.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ENQUEUE_LOCK_KEY])
        for active in LoadRun.objects.filter(status__in=ACTIVE_STATUSES).order_by("id"):
            reason = _load_run_dead_reason(active)
            if reason is None:
                raise LoadRunConflict(active)
            load_run_fail(run=active, error=f"abandoned: {reason}")
            logger.warning("load_run_abandoned id=%s reason=%s", active.pk, reason)
        run = load_run_create(
            status=Status.QUEUED,
            trigger=trigger,
            requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            options={"kinds": list(kinds) if kinds else None, "force": bool(force), "dry_run": bool(dry_run)},
        )
        if spawn:
            transaction.on_commit(lambda: _load_run_spawn(run))
    return run


def _load_run_spawn(run: LoadRun) -> None:
    """Start the loader for a queued run in its own session, so it outlives the request (and the server)."""
    log_dir = Path(tempfile.gettempdir()) / "bedrot-load-runs"
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / f"load_run_{run.pk}.log"
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "load_curated", "--run-id", str(run.pk)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    options = {**run.options, "pid": process.pid, "host": socket.gethostname(), "log": str(log_path)}
    LoadRun.objects.filter(pk=run.pk).update(options=options)
    run.options = options
    logger.info("load_run_spawned id=%s pid=%s", run.pk, process.pid)
