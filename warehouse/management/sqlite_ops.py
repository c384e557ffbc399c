"""SQLite file operations shared by backup_db, restore_db and maintain_db.

Plain `sqlite3` connections (not Django's, and without Django's SQL functions) because the online backup API, `wal_checkpoint` and `VACUUM` need a
connection in autocommit mode that we control; every connection turns foreign keys on like Django's does.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from warehouse.checksums import sha256_file

BACKUP_GLOB = "bedrot-*.sqlite3"
BACKUP_NAME = re.compile(r"^bedrot-\d{8}T\d{12}Z\.sqlite3$")


def sqlite_database_path(*, command: str, alternative: str) -> Path:
    """The live SQLite file, or a plain refusal naming the PostgreSQL tool to use instead."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        raise CommandError(
            f"{command} works on the SQLite file only; this database is {db['ENGINE'].rsplit('.', 1)[-1]}. "
            f"On PostgreSQL use {alternative}."
        )
    return Path(db["NAME"])


PRIVATE = 0o600  # the database and its backups hold every figure and the users' password hashes


def create_private(path: Path) -> None:
    """An empty file only its owner can read, for SQLite to open: its -journal/-wal/-shm files inherit the mode."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))


def sqlite_files_private(sender, connection, **kwargs) -> None:
    """connection_created receiver: the live SQLite file (created by the first connection, with the process's
    umask) and its sidecars are made owner-only. A stat per new connection; persistent connections are reused."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    for suffix in ("", "-wal", "-shm"):
        path = f"{connection.settings_dict['NAME']}{suffix}"
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, PRIVATE)
        except OSError:  # not created yet, or another user's file: never stop a connection over it
            pass


def connect(path: Path, *, immutable: bool = False) -> sqlite3.Connection:
    """Autocommit connection (`isolation_level=None`: we issue BEGIN ourselves) with the project's busy timeout."""
    if immutable:
        # Checking a closed backup file: never creates -wal/-shm/-journal files next to it.
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True, isolation_level=None)
    else:
        timeout = settings.DATABASES["default"].get("OPTIONS", {}).get("timeout", 30)
        conn = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    conn.execute("PRAGMA foreign_keys = ON")
    # A plain connection, no Django functions registered: the schema's CHECK constraints use built-in SQL only
    # (warehouse/lookups.py), so what passes here passes in the sqlite3 shell too.
    return conn


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    # Identifiers cannot be bound parameters; they come from sqlite_master and are quoted.
    return {name: conn.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0] for name in names}


def check_database(conn: sqlite3.Connection, *, full: bool = True) -> list[str]:
    """Problems found by integrity_check (or quick_check) and foreign_key_check; empty when the file is sound."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        result = [row[0] for row in conn.execute(f"PRAGMA {pragma}")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        return [f"{pragma}: {exc}"]
    problems = [] if result == ["ok"] else [f"{pragma}: {line}" for line in result[:10]]
    problems += [f"foreign_key_check: {table} row {rowid} → {parent}" for table, rowid, parent, _ in fk[:10]]
    return problems


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_with_sidecars(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def snapshot(*, source: Path, target_dir: Path, prefix: str = "bedrot") -> tuple[Path, str, dict[str, int]]:
    """A verified, consistent copy of the live `source` as `<prefix>-<UTC>.sqlite3` + `.sha256` in `target_dir`.

    The copy is written under a temporary name, checked, fsynced and only then renamed into place, so a failure
    at any step leaves no partial backup. Returns (path, sha256, row counts per table).
    """
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = utc_stamp()
    final = target_dir / f"{prefix}-{stamp}.sqlite3"
    tmp = target_dir / f".tmp-{prefix}-{stamp}-{os.getpid()}.sqlite3"
    src = connect(source)
    try:
        # One read transaction covers the counts and the copy, so both see the same snapshot. In WAL mode it
        # blocks no writer, and `pages=-1` copies in one step, so concurrent writes cannot restart the backup.
        src.execute("BEGIN")
        counts = table_counts(src)
        create_private(tmp)
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)
            # A self-contained rollback-journal file: the checksum then covers every byte of the backup.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
        src.execute("COMMIT")
        check = connect(tmp, immutable=True)
        try:
            problems = check_database(check)
            copied = table_counts(check)
        finally:
            check.close()
        if copied != counts:
            differ = sorted(t for t in counts.keys() | copied.keys() if counts.get(t) != copied.get(t))
            problems.append(f"row counts differ from the source in {', '.join(differ)}")
        if problems:
            raise CommandError("backup failed its checks, nothing was kept: " + "; ".join(problems))
        digest = sha256_file(tmp)
        fsync_path(tmp)
        os.replace(tmp, final)
        write_checksum(final, digest)
        fsync_path(target_dir)
    except BaseException:
        remove_with_sidecars(tmp)
        Path(f"{final}.sha256").unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return final, digest, counts


def write_checksum(path: Path, digest: str) -> None:
    """`<file>.sha256` in `sha256sum` format, so `sha256sum -c` verifies it too; written atomically."""
    sidecar = Path(f"{path}.sha256")
    tmp = sidecar.with_name(f".tmp-{sidecar.name}-{os.getpid()}")
    create_private(tmp)
    tmp.write_text(f"{digest}  {path.name}\n")
    fsync_path(tmp)
    os.replace(tmp, sidecar)


def read_checksum(path: Path) -> str:
    sidecar = Path(f"{path}.sha256")
    if not sidecar.is_file():
        raise CommandError(f"{path.name}: no checksum file {sidecar.name} next to it; refusing an unverified backup")
    match = re.fullmatch(r"([0-9a-f]{64})\s+\*?(.+)\s*", sidecar.read_text())
    if not match:
        raise CommandError(f"{sidecar.name} is not a sha256sum line")
    return match.group(1)


def backups_in(directory: Path) -> list[Path]:
    """Backups made by backup_db, oldest first (the UTC stamp in the name sorts by time)."""
    return sorted(p for p in directory.glob(BACKUP_GLOB) if BACKUP_NAME.match(p.name))


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Temporary files of backups whose process died (kill -9, power loss): nothing else removes them."""
    removed = []
    for path in sorted(directory.glob(".tmp-*")):
        match = re.search(r"-(\d+)(\.sqlite3(-journal|-wal|-shm)?)?$", path.name)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            removed.append(path)
        except PermissionError:  # alive, another user's
            pass
    return removed


def prune(*, directory: Path, keep: int) -> list[Path]:
    """Deletes all but the newest `keep` backups (and their checksum files); returns what it deleted."""
    existing = backups_in(directory)
    doomed = existing[: max(len(existing) - keep, 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
        Path(f"{path}.sha256").unlink(missing_ok=True)
    return doomed
