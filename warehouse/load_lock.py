"""One loader (or restore/maintenance job) at a time: `with load_lock(wait=seconds): ...`.

SQLite: `fcntl.flock` on `<database file>.load.lock`. PostgreSQL: a session advisory lock. Both are released by
the kernel / the server when the holder dies, even on kill -9, so a crashed load never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from warehouse import services

ADVISORY_KEY = 0x4245_4452_4F54  # "BEDROT": one application-wide key
POLL_SECONDS = 0.1
LOCK_BUSY_EXIT = 3  # every command that takes the lock exits with it when another job holds the lock


class LoadLockBusy(Exception):
    """Another process holds the load lock (after waiting `wait` seconds)."""


def lock_path() -> str:
    return f"{connection.settings_dict['NAME']}.load.lock"


@contextmanager
def load_lock(wait: float = 0.0, *, abort_stale: bool = True) -> Iterator[None]:
    """Hold the load lock for the block; raise LoadLockBusy when still busy after `wait` seconds. On acquiring it,
    `running` load runs are leftovers of a killed process: they are marked `aborted`."""
    deadline = time.monotonic() + max(wait, 0.0)
    if connection.vendor == "sqlite":
        # Owner-only like the database beside it (warehouse/management/sqlite_ops.py PRIVATE).
        handle = open(lock_path(), "a+", opener=lambda path, flags: os.open(path, flags, 0o600))
        try:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LoadLockBusy(
                            f"another load holds the lock {lock_path()} (waited {wait:g} s); nothing was touched"
                        ) from None
                    time.sleep(POLL_SECONDS)
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            if abort_stale:
                services.load_runs_abort_stale()
            yield
        finally:
            handle.close()  # closing the descriptor releases the flock
        return
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise LoadLockBusy(
                    f"another load holds the lock (PostgreSQL advisory lock {ADVISORY_KEY}, waited {wait:g} s); "
                    "nothing was touched"
                )
            time.sleep(POLL_SECONDS)
    try:
        if abort_stale:
            services.load_runs_abort_stale()
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
