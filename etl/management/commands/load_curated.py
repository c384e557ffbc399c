"""`manage.py load_curated`: load the curated zone. Exit codes: 0 ok, 1 a file was rejected,
2 usage/configuration error, 3 another load holds the lock."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, transaction
from tqdm import tqdm

from etl import pipeline, runs
from etl.lake import LakeUnreadable
from etl.readers import MESSAGE_CHARS, excerpt
from etl.sources import registry
from etl.statistics import planner_statistics_refresh
from warehouse import services
from warehouse.cache import response_cache_invalidate
from warehouse.load_lock import LOCK_BUSY_EXIT, LoadLockBusy, load_lock
from warehouse.models import LoadRun

SQLITE_CACHE_KIB = 48 * 1024  # 48 MB page cache: ~2.5× faster merges than the 2 MB default on a 300k-row file


class _DryRunRollback(Exception):
    pass


def _error(exc: BaseException) -> str:
    return excerpt(f"{type(exc).__name__}: {exc}", MESSAGE_CHARS)


class Command(BaseCommand):
    help = "Load the curated zone of the data lake into the warehouse (idempotent, atomic per file)."
    requires_system_checks = []  # a cron job: deploy checks run in CI, a web-only setting must not stop loads

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = "Kinds: " + ", ".join(registry())
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--lake", type=Path, help="Lake root folder (default DATA_LAKE_PATH); reads its CURATED_ZONE."
        )
        parser.add_argument(
            "--source", dest="sources", nargs="+", action="extend", metavar="KIND", help="Load only these kinds."
        )
        parser.add_argument(
            "--file",
            dest="files",
            nargs="+",
            action="extend",
            type=Path,
            metavar="PATH",
            help="Load only these files (relative to the curated zone, or absolute).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")
        parser.add_argument("--force", action="store_true", help="Re-read files already loaded.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object on stdout.")
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Wait this long for another load's lock (default 0), then exit 3.",
        )
        parser.add_argument(
            "--max-bad-ratio",
            type=float,
            default=None,
            metavar="R",
            help="Reject a file when more than this share of its rows is bad (default 0.05).",
        )
        parser.add_argument(
            "--accept-shrink",
            action="store_true",
            help="Accept a DistroKid snapshot with > 5%% fewer rows than the active one.",
        )
        parser.add_argument("--run-id", type=int, help="Execute the queued LoadRun with this id (API-triggered).")

    def handle(self, *args, **opts):
        code = self._handle(opts)
        if code:
            raise SystemExit(code)

    def _fail(self, message: str, code: int) -> int:
        self.stderr.write(message)
        return code

    def _handle(self, opts) -> int:
        queued = None
        if opts["run_id"] is not None:
            queued = LoadRun.objects.filter(pk=opts["run_id"], status=LoadRun.Status.QUEUED).first()
            if queued is None:
                return self._fail(f"load_curated: no queued load run with id {opts['run_id']}", 2)
            queued_options = dict(queued.options or {})
            queued_options.setdefault("sources", queued_options.get("kinds"))  # load_run_enqueue's name
            for name in ("sources", "files", "force", "dry_run", "max_bad_ratio", "accept_shrink"):
                if queued_options.get(name) and not opts.get(name):
                    opts[name] = queued_options[name]
        kinds = registry()
        unknown = [k for k in opts["sources"] or [] if k not in kinds]
        if unknown:
            return self._fail(f"load_curated: unknown kind(s) {', '.join(unknown)}; known: {', '.join(kinds)}", 2)
        ratio = opts["max_bad_ratio"] if opts["max_bad_ratio"] is not None else settings.LOAD_MAX_BAD_RATIO
        if not 0 <= ratio <= 1:
            return self._fail(f"load_curated: --max-bad-ratio must be within 0..1, got {ratio}", 2)
        lake = Path(opts["lake"] or settings.DATA_LAKE_PATH)
        curated = (lake / settings.CURATED_ZONE).resolve()
        try:
            found = curated.is_dir()
        except OSError as exc:  # e.g. the lake root cannot be searched: not "not found", and no traceback
            return self._fail(f"load_curated: cannot read {curated}: {exc.strerror}; nothing was loaded", 2)
        if not found:
            return self._fail(
                f"load_curated: curated zone not found: {curated} (lake {lake}, zone {settings.CURATED_ZONE!r})", 2
            )
        files = None
        if opts["files"]:
            files = []
            for given in map(Path, opts["files"]):
                path = (given if given.is_absolute() else curated / given).resolve()
                if not path.is_file() or curated not in path.parents:
                    return self._fail(f"load_curated: {given} is not a file inside {curated}", 2)
                files.append(path)
        options = pipeline.Options(
            force=bool(opts["force"]),
            dry_run=bool(opts["dry_run"]),
            max_bad_ratio=ratio,
            accept_shrink=bool(opts["accept_shrink"]),
        )
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:  # this connection only: a merge touches every index of the table
                    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            # A queued refresh waits its turn behind another job (load, restore, maintenance), then gives up as
            # `failed`: left `queued`, it blocked every later refresh with 409.
            wait = opts["wait"] if queued is None or opts["wait"] else settings.LOAD_QUEUED_WAIT_SECONDS
            with load_lock(wait=wait):
                result = self._run(curated, options, opts, files, queued, lake=lake)
        except LoadLockBusy as exc:
            if queued is not None:
                services.load_run_fail(run=queued, error=f"not started: {exc}")
            if opts["json"]:  # a caller parsing stdout still gets one object that says why nothing ran
                self.stdout.write(
                    json.dumps(
                        {
                            "run_id": None,
                            "exit_code": LOCK_BUSY_EXIT,
                            "error": "lock_held",
                            "message": str(exc),
                            "files": [],
                            "warnings": [],
                        }
                    )
                )
            return self._fail(f"load_curated: {exc}", LOCK_BUSY_EXIT)
        except LakeUnreadable as exc:  # the run is recorded failed (execute below); contract §1.1: exit 2
            return self._fail(f"load_curated: {exc}; nothing was loaded", 2)
        except DatabaseError as exc:
            return self._fail(f"load_curated: database error: {exc}", 2)
        if result.rows_changed and not options.dry_run:
            response_cache_invalidate()
            services.load_run_announce(load_run_id=result.run_id)
        self._report(result, options, as_json=opts["json"])
        return result.exit_code

    def _run(self, curated, options, opts, files, queued, *, lake: Path) -> runs.RunResult:
        run_options = {
            k: (v if not isinstance(v, Path) else str(v))
            for k, v in opts.items()
            if k in ("sources", "force", "dry_run", "max_bad_ratio", "accept_shrink") and v
        }
        if opts["files"]:
            run_options["files"] = [str(f) for f in opts["files"]]

        if queued is not None:  # started outside a dry run's rollback: the API's run record survives it
            services.load_run_start(run=queued)

        def execute() -> runs.RunResult:
            load_run = queued or services.load_run_create(status=LoadRun.Status.RUNNING, options=run_options)
            bar = None

            def on_start(total: int) -> None:
                nonlocal bar
                bar = tqdm(total=total, unit="file", disable=not (sys.stdout.isatty() and sys.stderr.isatty()))

            def on_file(result: pipeline.FileResult) -> None:
                if bar is not None:
                    bar.set_postfix_str(result.path[-40:])
                    bar.update(1)

            try:
                result = runs.run(
                    curated=curated,
                    load_run=load_run,
                    options=options,
                    kinds=opts["sources"],
                    files=files,
                    on_file=on_file,
                    on_start=on_start,
                    lake_root=lake,
                )
            except BaseException as exc:
                services.load_run_fail(run=load_run, error=_error(exc))
                raise
            finally:
                if bar is not None:
                    bar.close()
            runs.finish_run(load_run, result)
            if result.rows_changed and not options.dry_run:
                planner_statistics_refresh()
            return result

        if not options.dry_run:
            return execute()
        holder: list[runs.RunResult] = []
        try:
            with transaction.atomic():
                holder.append(execute())
                raise _DryRunRollback
        except _DryRunRollback:
            pass
        except BaseException as exc:
            if queued is not None:  # its `failed` was rolled back with the rest: record it for good
                queued.refresh_from_db()
                services.load_run_fail(run=queued, error=_error(exc))
            raise
        result = holder[0]
        if queued is not None:  # the API's run record survives the rollback: close it with the dry-run report
            queued.refresh_from_db()
            runs.finish_run(queued, result)
        else:
            result.run_id = None
        return result

    def _report(self, result: runs.RunResult, options: pipeline.Options, *, as_json: bool) -> None:
        counts = {s: sum(f.status == s for f in result.files) for s in ("loaded", "skipped", "rejected", "ignored")}
        rows = {
            k: sum(getattr(f, f"rows_{k}") for f in result.files)
            for k in ("read", "inserted", "updated", "unchanged", "quarantined", "retracted")
        }
        summary = (
            f"load_curated{' (dry run, nothing written)' if options.dry_run else ''}: run {result.run_id}: "
            f"{counts['loaded']} loaded, {counts['skipped']} skipped, {counts['rejected']} rejected, "
            f"{counts['ignored']} ignored; rows {rows['read']} read, {rows['inserted']} inserted, "
            f"{rows['updated']} updated, {rows['unchanged']} unchanged, {rows['retracted']} retracted, "
            f"{rows['quarantined']} quarantined in {result.duration_s:.2f} s"
        )
        for file in result.files:
            if file.status == "rejected":
                self.stderr.write(file.message)
        for warning in result.warnings:
            self.stderr.write(f"warning ({warning['code']}): {warning['message']}")
        if as_json:
            payload = {
                "run_id": result.run_id,
                "duration_s": result.duration_s,
                "files": [{**f.as_json(), "counters": f.counters} for f in result.files],
                "warnings": result.warnings,
            }
            self.stdout.write(json.dumps(payload))
            self.stderr.write(summary)
        else:
            self.stdout.write(summary)
