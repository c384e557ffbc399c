"""Django's Redis cache, degrading to this process's memory while Redis is unreachable (docs/OPERATIONS.md "When
Redis is down").

With REDIS_URL set, the API's response cache, the DRF throttles and the admin log-in limits live in Redis. Without
this, a Redis outage turns every API request into a 500. While Redis refuses connections or times out, every cache
call goes to a per-process LocMemCache instead: responses are computed and cached per worker, rate limits count per
worker (N workers allow N× the rate). After a failure Redis is retried at most every RETRY_SECONDS, so an unreachable
host costs one connect timeout per interval, not one per call. The outage and the recovery are logged once each.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Outage:
    """Whether Redis is down, for the whole process: Django builds a cache object per thread and async context."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down = False
        self.retry_at = 0.0


_OUTAGES: dict[str, _Outage] = {}


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = LocMemCache(f"redis-fallback:{server}", params)  # LocMemCache's storage is per name
        self._outage = _OUTAGES.setdefault(str(server), _Outage())

    def _call(self, name: str, *args, **kwargs):
        outage = self._outage
        if outage.down and time.monotonic() < outage.retry_at:
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as exc:
            with outage.lock:
                if not outage.down:
                    logger.error("Redis unreachable (%s): cache and rate limits are per process until it answers", exc)
                outage.down, outage.retry_at = True, time.monotonic() + RETRY_SECONDS
            return getattr(self._fallback, name)(*args, **kwargs)
        if outage.down:
            with outage.lock:
                if outage.down:
                    logger.warning("Redis answers again: cache and rate limits are shared")
                outage.down = False
        return result

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)
