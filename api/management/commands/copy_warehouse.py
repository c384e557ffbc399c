"""`manage.py copy_warehouse --to <DATABASE_URL>`: move the whole warehouse to another database (warehouse/copying.py,
api/copy_check.py).
Exit codes: 0 copied and verified, 1 verification failed (target left as it was), 2 refused, 3 a load is running."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from api.copy_check import kpis_body
from warehouse.copying import (
    DEFAULT_BATCH_SIZE,
    CopyRefused,
    CopyVerificationFailed,
    target_connect,
    warehouse_copy,
)
from warehouse.load_lock import LOCK_BUSY_EXIT, LoadLockBusy, load_lock


class Command(BaseCommand):
    requires_system_checks = []  # an operator's tool: a web-only setting must not stop a move
    help = (
        "Copy every table of the configured warehouse to an empty, migrated target database in batches, fix its "
        "sequences and verify it (row counts, money totals, the /api/kpis body). The source is only read."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            required=True,
            metavar="DATABASE_URL",
            help="The target, e.g. postgres://user@host:5432/bedrot or sqlite:////srv/bedrot/var/b.db",
        )
        parser.add_argument("--replace", action="store_true", help="Overwrite a target that already holds data.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per insert batch.")
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Wait this long for a running load to finish, then exit 3.",
        )

    def handle(self, *args, to: str, replace: bool, batch_size: int, wait: float, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        started = time.monotonic()
        last = {"table": None, "at": 0.0}

        def progress(table: str, done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or table != last["table"] or now - last["at"] >= 2:
                self.stdout.write(f"  {table}: {done}/{total} rows")
                last.update(table=table, at=now)

        try:
            alias = target_connect(url=to)
            with load_lock(wait=wait, abort_stale=False):  # no load writes the source while it is copied
                report = warehouse_copy(
                    alias=alias, replace=replace, batch_size=batch_size, body=kpis_body, progress=progress
                )
        except CopyRefused as exc:
            raise CommandError(f"copy_warehouse: refused: {exc}; nothing was written", returncode=2) from exc
        except LoadLockBusy as exc:
            raise CommandError(f"copy_warehouse: refused: {exc}", returncode=LOCK_BUSY_EXIT) from exc
        except CopyVerificationFailed as exc:
            raise CommandError(
                f"copy_warehouse: verification failed: {exc}; the target was left as it was", returncode=1
            ) from exc
        except DatabaseError as exc:
            # The first line only: PostgreSQL's CONTEXT lines quote the failing row, which may be a user's token.
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(
                f"copy_warehouse: database error: {first}; the target was left as it was", returncode=1
            ) from None
        finally:
            connections.close_all()
        for column, total in report.money.items():
            if total:
                self.stdout.write(f"  money {column}: {total} on both sides")
        self.stdout.write(
            f"copied {sum(report.rows.values())} rows in {len(report.rows)} tables in {time.monotonic() - started:.1f} s "
            f"(copying {report.copy_seconds:.1f} s, verifying {report.verify_seconds:.1f} s);"
            " verified: row counts per table, money totals, identical /api/kpis body"
        )
