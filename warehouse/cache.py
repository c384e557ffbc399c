"""The dashboard's response cache (docs/contract/dashboard-api.md §1: keyed by the load run, at most 300 s) and its one
invalidation, `response_cache_invalidate`, which every writer calls after committing (the loader, admin mappings).

With REDIS_URL the cache is Redis (settings.CACHES), shared by every daphne worker, the loader and the admin: a
response is computed once per load run in total (concurrent misses wait for the one computing it) and an
invalidation from any process reaches every worker. Without Redis each process has its own memory; the key also
carries the latest finished load run, so a load committed by another process still shows on the next poll.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from warehouse import lineage

logger = logging.getLogger(__name__)
T = TypeVar("T")

GENERATION_KEY = "api:generation"  # a fresh random value per invalidation; entries remember the one they were made in
COMPUTE_WAIT_SECONDS = 30.0  # a miss waits this long at most for another worker computing the same response
_POLL_SECONDS = 0.05


def response_cache_invalidate() -> None:
    """Every cached dashboard response is stale from now on, in every process sharing the cache.

    Call it after the change is committed (a response computed from the old rows must not be stored as new). Never
    raises: the change is already committed, and with the cache unreachable no response is served from it either."""
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("could not invalidate the response cache", exc_info=True)


def response_cache_get_or_compute(*, name: str, params: str, compute: Callable[[], T]) -> T:
    """`compute()` once per (endpoint name, parameters, latest finished load run, invalidation) for
    API_CACHE_SECONDS; 0 turns the cache off."""
    seconds = settings.API_CACHE_SECONDS
    if not seconds:
        return compute()
    raw = f"{name}|{params}|{lineage.load_run_cache_token_get()}|{connection.settings_dict['NAME']}"
    key = "api:" + hashlib.sha256(raw.encode()).hexdigest()
    lock = key + ":computing"
    deadline = time.monotonic() + COMPUTE_WAIT_SECONDS
    while True:
        generation, entry = _cached_entry(key)
        if entry is not None and entry[0] == generation:
            return entry[1]
        if cache.add(lock, 1, timeout=COMPUTE_WAIT_SECONDS):
            # Checked again under the lock: the worker that held it may have stored the entry and let go between
            # the read above and this add.
            generation, entry = _cached_entry(key)
            if entry is not None and entry[0] == generation:
                cache.delete(lock)
                return entry[1]
            break
        if time.monotonic() > deadline:  # the worker holding the lock died or is stuck: compute here
            return compute()
        time.sleep(_POLL_SECONDS)
    try:
        started = time.perf_counter()
        value = compute()
        # Stored under the generation read before computing: an invalidation meanwhile makes it stale at once.
        cache.set(key, (generation, value), seconds)
        logger.info("response computed: %s (%.1f ms)", name, (time.perf_counter() - started) * 1000)
    finally:
        cache.delete(lock)
    return value


def _cached_entry(key: str) -> tuple[str, tuple | None]:
    """The current invalidation generation and the stored (generation, value) entry of `key`, in one round trip."""
    found = cache.get_many([GENERATION_KEY, key])
    return found.get(GENERATION_KEY, ""), found.get(key)
