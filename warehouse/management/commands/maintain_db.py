"""Routine SQLite upkeep under the loader's lock: optimize, checkpoint, VACUUM when worth it, quick_check."""

import sqlite3

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from warehouse.load_lock import LOCK_BUSY_EXIT, LoadLockBusy, load_lock
from warehouse.management.sqlite_ops import check_database, connect, sqlite_database_path


class Command(BaseCommand):
    # A backup or restore must not depend on unrelated code passing its checks (e.g. a broken URLconf).
    requires_system_checks = []
    help = (
        "PRAGMA optimize, wal_checkpoint(TRUNCATE), VACUUM when free pages exceed --vacuum-threshold, quick_check. "
        "Takes the loader's lock, so it never runs beside a load."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--vacuum-threshold",
            type=float,
            default=0.2,
            help="VACUUM when free pages / all pages reaches this share (default 0.2; 0 always vacuums).",
        )
        parser.add_argument("--wait", type=float, default=0, help="Seconds to wait for a running load (default 0).")

    def handle(self, *args, vacuum_threshold: float, wait: float, **options):
        if not 0 <= vacuum_threshold <= 1:
            raise CommandError("--vacuum-threshold is a share between 0 and 1")
        path = sqlite_database_path(
            command="maintain_db", alternative="autovacuum (on by default) and ANALYZE / VACUUM (ANALYZE) when needed"
        )
        try:
            with load_lock(wait=wait):
                ok = self._maintain(path=path, threshold=vacuum_threshold)
        except LoadLockBusy as exc:
            raise CommandError(f"refused: {exc}", returncode=LOCK_BUSY_EXIT) from exc
        except sqlite3.Error as exc:  # e.g. VACUUM needs up to twice the file's size in free disk
            raise CommandError(f"maintenance failed: {exc}") from exc
        if not ok:
            raise CommandError("quick_check found problems (above): restore the latest backup (restore_db)")

    def _maintain(self, *, path, threshold: float) -> bool:
        connections.close_all()
        conn = connect(path)
        try:
            conn.execute("PRAGMA optimize")
            self.stdout.write("optimize: done")
            self._checkpoint(conn)
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            share = free / pages if pages else 0.0
            if pages and share >= threshold:
                conn.execute("VACUUM")
                after = conn.execute("PRAGMA page_count").fetchone()[0]
                self.stdout.write(
                    f"vacuum: done, {free} of {pages} pages were free ({share:.1%} ≥ {threshold:.0%}); now {after} pages"
                )
                self._checkpoint(conn)  # VACUUM in WAL mode writes the rebuilt pages to the WAL
            else:
                self.stdout.write(f"vacuum: skipped, {free} of {pages} pages free ({share:.1%} < {threshold:.0%})")
            problems = check_database(conn, full=False)
        finally:
            conn.close()
        for problem in problems:
            self.stderr.write(problem)
        if not problems:
            self.stdout.write("quick_check: ok, foreign_key_check: ok")
        return not problems

    def _checkpoint(self, conn) -> None:
        busy, wal_pages, moved = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            # A reader (an API request) still uses old pages; the next run finishes the job. Not an error.
            self.stdout.write(f"wal_checkpoint: partial, {moved} of {wal_pages} pages moved (a reader was busy)")
        else:
            self.stdout.write("wal_checkpoint: done, WAL truncated")
