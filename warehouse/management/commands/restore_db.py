"""Restores a backup made by backup_db into the live SQLite database, after verifying it."""

import os
import shutil
import sqlite3
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from warehouse import services
from warehouse.cache import response_cache_invalidate
from warehouse.checksums import sha256_file
from warehouse.load_lock import LOCK_BUSY_EXIT, LoadLockBusy, load_lock
from warehouse.management.sqlite_ops import (
    check_database,
    connect,
    create_private,
    fsync_path,
    read_checksum,
    remove_with_sidecars,
    snapshot,
    sqlite_database_path,
    table_counts,
)
from warehouse.models import LoadRun

# A file passes as a warehouse database only with these tables, a recorded warehouse migration, and the platforms
# the seed migration writes (an empty django_migrations table alone would otherwise wipe the warehouse).
REQUIRED_TABLES = ("django_migrations", "auth_user", "artist", "platform", "load_run", "source_file")


def warehouse_problems(conn: sqlite3.Connection) -> list[str]:
    counts = table_counts(conn)
    missing = [name for name in REQUIRED_TABLES if name not in counts]
    if missing:
        return [f"not a warehouse database: no {', '.join(missing)} table"]
    if not conn.execute("SELECT 1 FROM django_migrations WHERE app = 'warehouse'").fetchone():
        return ["not a warehouse database: django_migrations records no warehouse migration"]
    if counts["platform"] == 0:
        return ["not a warehouse database: the platform table is empty (the seed migration's rows are missing)"]
    return []


class Command(BaseCommand):
    # A backup or restore must not depend on unrelated code passing its checks (e.g. a broken URLconf).
    requires_system_checks = []
    help = (
        "Verify a backup (sha256 file, integrity_check, foreign_key_check) and restore it into the live SQLite "
        "database in one transaction, after saving the current database. Refused while a load holds the lock."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A bedrot-<UTC>.sqlite3 file with its .sha256 next to it.")
        parser.add_argument("--wait", type=float, default=0, help="Seconds to wait for a running load (default 0).")
        parser.add_argument(
            "--no-safety-backup",
            action="store_true",
            help="Do not save the current database to DATABASE_BACKUP_PATH/pre-restore-<UTC>.sqlite3 first.",
        )

    def handle(self, *args, file: Path, wait: float, no_safety_backup: bool, **options):
        live = sqlite_database_path(command="restore_db", alternative="pg_restore on a pg_dump archive")
        file = file.resolve()
        if not file.is_file():
            raise CommandError(f"no backup file at {file}")
        digest = self._verify(file)

        try:
            # abort_stale=False: the live database may be damaged or schema-less (what a restore repairs); the
            # restored runs that were unfinished are closed in the staged copy instead (_prepare_staged).
            with load_lock(wait=wait, abort_stale=False):
                self._restore(file=file, digest=digest, live=live, safety_backup=not no_safety_backup)
        except LoadLockBusy as exc:
            raise CommandError(f"refused: {exc}", returncode=LOCK_BUSY_EXIT) from exc
        except (sqlite3.Error, OSError) as exc:
            raise CommandError(
                f"restore failed: {exc}; the copy into the live database is one transaction (all or nothing), "
                "and the pre-restore backup is in DATABASE_BACKUP_PATH"
            ) from exc

    def _verify(self, file: Path) -> str:
        expected = read_checksum(file)
        actual = sha256_file(file)
        if actual != expected:
            raise CommandError(
                f"refused: {file.name} does not match its checksum (sha256 {actual[:12]}…, expected {expected[:12]}…): "
                "the file is truncated or altered; nothing was restored"
            )
        conn = connect(file, immutable=True)
        try:
            problems = check_database(conn) or warehouse_problems(conn)
        finally:
            conn.close()
        if problems:
            raise CommandError(f"refused: {file.name} failed its checks: {'; '.join(problems)}; nothing was restored")
        return expected

    def _restore(self, *, file: Path, digest: str, live: Path, safety_backup: bool) -> None:
        if safety_backup and live.is_file():
            try:
                saved, _, _ = snapshot(source=live, target_dir=settings.DATABASE_BACKUP_PATH, prefix="pre-restore")
            except (sqlite3.DatabaseError, CommandError) as exc:
                raise CommandError(
                    f"refused: the current database {live} could not be saved before the restore ({exc}). If it is "
                    "damaged and you mean to replace it, run again with --no-safety-backup; nothing was restored"
                ) from exc
            self.stdout.write(f"saved the current database as {saved}")
        sequences = self._live_sequences(live)

        # Stage the verified bytes next to the database (same filesystem, and a later change to FILE cannot
        # slip in), then check the staged copy is exactly what was verified.
        staged = live.with_name(f"{live.name}.restore-{os.getpid()}.tmp")
        try:
            create_private(staged)  # a full copy of the data: owner-only like the live file
            shutil.copyfile(file, staged)
            fsync_path(staged)
            if sha256_file(staged) != digest:
                raise CommandError("refused: the staged copy differs from the verified backup; nothing was restored")
            self._prepare_staged(staged=staged, sequences=sequences)
            restored = self._copy_into_live(file=file, staged=staged, live=live)
            response_cache_invalidate()  # responses cached from the replaced rows are stale in every worker
        finally:
            remove_with_sidecars(staged)
        self._record_restore(file=file, digest=digest, rows=sum(restored.values()))
        self._report_migrations(live)

    @staticmethod
    def _live_sequences(live: Path) -> dict[str, int]:
        """The live database's AUTOINCREMENT counters (empty when it has none or cannot be read)."""
        if not live.is_file():
            return {}
        conn = connect(live)
        try:
            return dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        except sqlite3.DatabaseError:  # no AUTOINCREMENT table (schema-less), or a damaged file
            return {}
        finally:
            conn.close()

    def _prepare_staged(self, *, staged: Path, sequences: dict[str, int]) -> None:
        """Two changes to the private staged copy, so they reach the live database in the restore's transaction:

        - ids are never reused: each AUTOINCREMENT counter continues from the higher of the backup's and the live
          database's, so a load run id that /ws clients already saw is never handed out again (they would drop
          its update as old, contract Part C "load_run_id only increases");
        - runs that were queued or running when the backup was taken have no process any more: they are closed
          as `aborted`, instead of blocking POST /api/refresh (409) and degrading health until they go stale."""
        conn = connect(staged)
        try:
            conn.execute("BEGIN IMMEDIATE")
            tables = set(table_counts(conn))
            for name, seq in sequences.items():
                bumped = conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name))
                if bumped.rowcount == 0 and name in tables:
                    conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))
            unfinished = services.load_run_statuses_leading_to(status=LoadRun.Status.ABORTED)
            closed = conn.execute(
                f"UPDATE load_run SET status = ?, finished_at = ?, error = ? "
                f"WHERE status IN ({', '.join('?' * len(unfinished))})",
                (
                    str(LoadRun.Status.ABORTED),
                    timezone.now().isoformat(sep=" ").replace("+00:00", ""),
                    "interrupted: the database was restored from a backup taken while this run was unfinished",
                    *map(str, unfinished),
                ),
            ).rowcount
            conn.execute("COMMIT")
        finally:
            conn.close()
        if closed:
            self.stdout.write(f"closed {closed} load run(s) that were unfinished in the backup as aborted")

    def _record_restore(self, *, file: Path, digest: str, rows: int) -> None:
        """The restore as a finished load run with a new, higher id: the API's per-run caches turn over, and every
        daphne process announces it to /ws clients like a load (channel layer or watcher) with `restored: true`."""
        now = timezone.now()
        try:
            run = services.load_run_create(
                status=LoadRun.Status.SUCCEEDED,
                started_at=now,
                finished_at=now,
                rows_changed=rows,
                options={"restored_from": file.name, "sha256": digest},
            )
        except DatabaseError as exc:  # a backup older than this code's schema: `migrate` first
            self.stdout.write(f"could not record the restore as a load run ({exc}); live clients refetch on reconnect")
            return
        finally:
            connections.close_all()
        services.load_run_announce(load_run_id=run.pk)
        self.stdout.write(f"recorded the restore as load run {run.pk}, announced to live clients")

    def _copy_into_live(self, *, file: Path, staged: Path, live: Path) -> dict[str, int]:
        # Not os.replace: daphne workers or a cron job may hold the old file open, and SQLite ties each open
        # connection and its -wal/-shm to the old inode, so a rename under them loses their writes or corrupts
        # the new file (sqlite.org/howtocorrupt.html §2). The online backup API instead writes the staged
        # database into the live one as a single write transaction: every connection sees the old or the
        # new database, never a mix, a crash rolls it back, and SQLite keeps -wal/-shm consistent.
        connections.close_all()
        source = connect(staged, immutable=True)
        target = connect(live)
        try:
            expected = table_counts(source)
            source.backup(target)
            mode = target.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            busy = target.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            problems = check_database(target, full=False)
            restored = table_counts(target)
        finally:
            source.close()
            target.close()
        if problems or restored != expected:
            raise CommandError(
                f"the restored database failed its checks ({'; '.join(problems) or 'row counts differ'}): "
                "restore the pre-restore backup"
            )
        self.stdout.write(
            f"restored {file} into {live}: {len(restored)} tables, "
            f"{sum(restored.values())} rows; journal_mode {mode}, WAL checkpointed "
            f"({'busy readers kept some pages' if busy else 'truncated'}); quick_check ok"
        )
        return restored

    def _report_migrations(self, live: Path) -> None:
        conn = connect(live)
        try:
            applied = set(conn.execute("SELECT app, name FROM django_migrations").fetchall())
        finally:
            conn.close()
        on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        behind, ahead = on_disk - applied, applied - on_disk
        if behind:
            self.stdout.write(f"the backup predates {len(behind)} migration(s): run manage.py migrate")
        if ahead:
            self.stdout.write(f"the backup has {len(ahead)} migration(s) this code does not know: deploy matching code")
        if not behind and not ahead:
            self.stdout.write("migrations match this code")
