"""A run of the loader over the curated zone: discovery (exact patterns; anything else `ignored`, never read), the
contract's order (kind, then name timestamp or mtime), the sha256 skip (no write transaction), each file through
`etl.pipeline.load_file`, the run's counts after every committed file, and the run's end through the lineage state
machine (warehouse/services/lineage.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Max
from django.db.models.functions import Coalesce

from etl.lake import curated_files, outside_lake
from etl.pipeline import FileResult, LoadContext, Options, Planned, file_rejected_record, load_file
from etl.readers import FileRejected
from etl.sources import registry
from warehouse import meta_levels, services
from warehouse.checksums import sha256_file
from warehouse.models import LoadRun, SourceFile

logger = logging.getLogger("etl.load")


# --- discovery ------------------------------------------------------------------------------------------------


def _name_timestamp(match) -> dt.datetime | None:
    ts = match.groupdict().get("ts") if match else None
    if not ts:
        return None
    fmt = "%Y%m%d_%H%M%S" if "_" in ts else "%Y%m%dT%H%M%S" if "T" in ts else "%Y%m%d"
    try:
        return dt.datetime.strptime(ts, fmt).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def discover(
    curated: Path, *, kinds: list[str] | None = None, files: list[Path] | None = None, lake_root: Path | None = None
) -> tuple[list[Planned], list[FileResult]]:
    """Files to load in contract order, and the ones reported `ignored` (never read). Raises
    etl.lake.LakeUnreadable when a folder cannot be listed."""
    specs = registry()
    candidates = curated_files(curated) if files is None else files
    roots = tuple({curated.resolve(), (lake_root or curated.parent).resolve()})
    planned: list[Planned] = []
    ignored: list[FileResult] = []
    for path in candidates:
        relative = path.relative_to(curated).as_posix()
        spec, found = next(((s, m) for s in specs.values() if (m := s.match(relative))), (None, None))
        if kinds and (spec is None or spec.kind not in kinds):
            continue
        if outside_lake(path, roots=roots):  # a symlink out of the lake: never read, not even its name's target
            ignored.append(
                FileResult(
                    relative,
                    spec.kind if spec else None,
                    None,
                    "ignored",
                    reason="outside_lake",
                    message=f"{relative}: ignored (outside_lake): a link to a file outside the lake",
                )
            )
            continue
        if spec is None or spec.not_loaded:
            ignored.append(FileResult(relative, spec.kind if spec else None, None, "ignored"))
            continue
        try:
            mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        except FileNotFoundError:
            mtime = dt.datetime.min.replace(tzinfo=dt.UTC)
        planned.append(Planned(path, relative, spec, _name_timestamp(found), mtime))
    planned.sort(key=lambda p: (p.spec.order, p.name_timestamp or p.mtime, p.relative))
    return planned, ignored


# --- a run ----------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    run_id: int | None
    duration_s: float
    files: list[FileResult]
    warnings: list[dict] = field(default_factory=list)  # run-level, e.g. meta_spend_mismatch (contract §2.9)

    @property
    def rows_changed(self) -> int:
        return _rows_changed(self.files)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.status == "rejected" for f in self.files) else 0


def run(
    *,
    curated: Path,
    load_run: LoadRun,
    options: Options,
    kinds: list[str] | None = None,
    files: list[Path] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    lake_root: Path | None = None,
) -> RunResult:
    started = time.monotonic()
    planned, ignored = discover(curated, kinds=kinds, files=files, lake_root=lake_root)
    if on_start:
        on_start(len(planned))
    results: list[FileResult] = list(ignored)
    for item in ignored:
        _log(item)
    for index, item in enumerate(planned):
        ctx = LoadContext(spec=item.spec, planned=item, load_run=load_run, options=options, sha256="")
        try:
            ctx.sha256 = sha256_file(item.path)
            if not options.force and _already_loaded(item, ctx.sha256):
                result = FileResult(item.relative, item.spec.kind, ctx.sha256, "skipped", reason="unchanged")
            else:
                _progress(load_run, current=item.relative, index=index, total=len(planned), results=results)
                result = load_file(ctx)
        except FileNotFoundError:
            exc = FileRejected("vanished", f"{item.relative}: rejected (vanished): the file disappeared mid-run")
            result = file_rejected_record(ctx, exc)
        except FileRejected as exc:
            result = file_rejected_record(ctx, exc)
        except Exception as exc:  # a bug must not crash the run or leave partial data: the file's txn rolled back
            logger.debug("unexpected error loading %s", item.relative, exc_info=True)
            result = file_rejected_record(
                ctx, FileRejected("load_error", f"{item.relative}: rejected (load_error): {type(exc).__name__}: {exc}")
            )
        results.append(result)
        _log(result)
        _record_counts(load_run, results)  # a run killed after this file still accounts for it
        if on_file:
            on_file(result)
    meta_loaded = any(r.status == "loaded" and (r.kind or "").startswith("meta_") for r in results)
    warnings = meta_levels.meta_run_warnings() if meta_loaded else []
    return RunResult(load_run.pk, round(time.monotonic() - started, 3), results, warnings)


def _already_loaded(item: Planned, sha256: str) -> bool:
    """Skip a file whose bytes were loaded before. Copies of a kind rank by name timestamp, else mtime (§1.1), so a
    newer byte-identical copy (a `_latest` twin) must keep its rank whatever the order: its skip lifts
    the loaded copy's rank (`newest_copy_at`), and if a different file ranked between them was loaded since, the
    copy is loaded again so that it wins over that file."""
    loaded = SourceFile.objects.filter(kind=item.spec.kind, status=SourceFile.Status.LOADED)
    if item.spec.snapshot:
        latest = loaded.order_by("-id").values_list("sha256", flat=True).first()
        return latest == sha256
    ranked = loaded.annotate(rank=Coalesce("newest_copy_at", "name_timestamp", "mtime"))
    seen = ranked.filter(sha256=sha256).aggregate(r=Max("rank"))["r"]
    rank = item.name_timestamp or item.mtime
    if seen is None:
        return False
    if rank > seen:
        if ranked.exclude(sha256=sha256).filter(rank__gt=seen, rank__lt=rank).exists():
            return False
        loaded.filter(sha256=sha256).update(newest_copy_at=rank)
    return True


def _rows_changed(files: list[FileResult]) -> int:
    return sum(f.rows_inserted + f.rows_updated + f.rows_retracted for f in files)


def _progress_of(files: list[FileResult], *, current: str | None, done: int, total: int) -> dict:
    """The run's `progress` JSON (shown by `/api/loads` and the admin while it runs)."""
    counts = Counter(f.status for f in files)
    return {
        "current_file": current,
        "files_done": done,
        "files_total": total,
        **counts,
        "rows_changed": _rows_changed(files),
    }


def _progress(load_run: LoadRun, *, current: str, index: int, total: int, results: list[FileResult]) -> None:
    progress = _progress_of(results, current=current, done=index, total=total)
    services.load_run_progress_record(run=load_run, progress=progress)


def _log(result: FileResult) -> None:
    record = {**result.as_json(), "rows_retracted": result.rows_retracted, "counters": result.counters}
    if result.message:
        record["message"] = result.message
    if result.quarantined:
        record["quarantined_first"] = result.quarantined[:5]
    logger.info(json.dumps(record, default=str, sort_keys=True))


def _run_counts(files: list[FileResult]) -> dict:
    counts = Counter(f.status for f in files)
    return {
        "files_loaded": counts["loaded"],
        "files_skipped": counts["skipped"],
        "files_rejected": counts["rejected"],
        "files_ignored": counts["ignored"],
        "rows_changed": _rows_changed(files),
        "rows_quarantined": sum(f.rows_quarantined for f in files),
    }


def _record_counts(load_run: LoadRun, results: list[FileResult]) -> None:
    """After each file's commit (autocommit): the run's counts so far, so a run killed mid-way (SIGKILL, power
    loss) records the files it committed instead of files_loaded = 0."""
    services.load_run_progress_record(run=load_run, counts=_run_counts(results))


def finish_run(load_run: LoadRun, result: RunResult) -> None:
    progress = _progress_of(result.files, current=None, done=len(result.files), total=len(result.files))
    services.load_run_finish(
        run=load_run, counts=_run_counts(result.files), progress=progress, warnings=result.warnings
    )
