"""A consistent, verified snapshot of the live SQLite database into DATABASE_BACKUP_PATH."""

import sqlite3

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from warehouse.management.sqlite_ops import prune, remove_stale_temporaries, snapshot, sqlite_database_path


class Command(BaseCommand):
    # A backup or restore must not depend on unrelated code passing its checks (e.g. a broken URLconf).
    requires_system_checks = []
    help = (
        "Snapshot the live SQLite database (online backup API, safe while loads and API traffic run) into "
        "DATABASE_BACKUP_PATH, verify it (integrity_check, foreign_key_check, row counts), then keep the newest N."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, default=14, help="Backups to keep after this one (default 14).")

    def handle(self, *args, keep: int, **options):
        if keep < 1:
            raise CommandError("--keep must be at least 1 (the backup just taken)")
        source = sqlite_database_path(
            command="backup_db", alternative="pg_dump --format=custom (and pg_restore to restore)"
        )
        if not source.is_file():
            raise CommandError(f"no database file at {source}")
        target_dir = settings.DATABASE_BACKUP_PATH
        if target_dir.is_dir():
            for stale in remove_stale_temporaries(target_dir):
                self.stdout.write(f"removed {stale.name}, left by a backup process that died")
        try:
            path, digest, counts = snapshot(source=source, target_dir=target_dir)
        except (sqlite3.Error, OSError) as exc:  # disk full, file too large, I/O error
            raise CommandError(f"backup failed: {exc}; nothing was kept, older backups are untouched") from exc
        self.stdout.write(
            f"backup {path} ({path.stat().st_size} bytes, sha256 {digest[:12]}…, {len(counts)} tables, "
            f"{sum(counts.values())} rows): integrity_check ok, foreign_key_check ok, row counts match the source"
        )
        for old in prune(directory=target_dir, keep=keep):
            self.stdout.write(f"pruned {old.name}")
