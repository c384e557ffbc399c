"""Restores a backup made by backup_db into the live SQLite database, after verifying it."""

import os
import shutil
import sqlite3
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from etl.lock import LoadLockBusy, load_lock
from warehouse.management.sqlite_ops import (
    LOCK_BUSY_EXIT,
    check_database,
    connect,
    create_private,
    fsync_path,
    read_checksum,
    remove_with_sidecars,
    sha256_of,
    snapshot,
    sqlite_database_path,
    table_counts,
)


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
            with load_lock(wait=wait):
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
        actual = sha256_of(file)
        if actual != expected:
            raise CommandError(
                f"refused: {file.name} does not match its checksum (sha256 {actual[:12]}…, expected {expected[:12]}…): "
                "the file is truncated or altered; nothing was restored"
            )
        conn = connect(file, immutable=True)
        try:
            problems = check_database(conn)
            if not problems and not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone():
                problems = ["it has no django_migrations table: not a warehouse database"]
        finally:
            conn.close()
        if problems:
            raise CommandError(f"refused: {file.name} failed its checks: {'; '.join(problems)}; nothing was restored")
        return expected

    def _restore(self, *, file: Path, digest: str, live: Path, safety_backup: bool) -> None:
        if safety_backup and live.is_file():
            saved, _, _ = snapshot(source=live, target_dir=settings.DATABASE_BACKUP_PATH, prefix="pre-restore")
            self.stdout.write(f"saved the current database as {saved}")

        # Stage the verified bytes next to the database (same filesystem, and a later change to FILE cannot
        # slip in), then check the staged copy is exactly what was verified.
        staged = live.with_name(f"{live.name}.restore-{os.getpid()}.tmp")
        try:
            create_private(staged)  # a full copy of the data: owner-only like the live file
            shutil.copyfile(file, staged)
            fsync_path(staged)
            if sha256_of(staged) != digest:
                raise CommandError("refused: the staged copy differs from the verified backup; nothing was restored")
            self._copy_into_live(file=file, staged=staged, live=live)
        finally:
            remove_with_sidecars(staged)

    def _copy_into_live(self, *, file: Path, staged: Path, live: Path) -> None:
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
        self._report_migrations(live)

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
