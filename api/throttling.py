"""DRF's anon/user throttles, reading classes and rates from settings at request time (not at import), so a
deployment's env and a test's override_settings both take effect."""

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)


class _RatesFromSettings:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's attribute name
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    pass


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    pass


class ThrottledViewMixin:
    def get_throttles(self):
        return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]


class BadTokenThrottle(SimpleRateThrottle):
    """Counts requests with an unknown API token per client address (API_THROTTLE_BAD_TOKEN). Authentication runs
    before DRF's throttles, so without this a client could try keys as fast as the server answers 401s; over the
    rate, the address's unknown keys get 429 with Retry-After (a valid key still works: no lockout by a neighbour).

    `/ws` shares the counts (same cache key per address, realtime/auth.py): built with `address=`, it counts a bad
    token with `allow_request(None, None)` and asks `lockout()` before looking a token up."""

    scope = "bad_token"

    def __init__(self, *, address: str | None = None):
        super().__init__()
        self.address = address

    def get_rate(self):
        return settings.API_THROTTLE_BAD_TOKEN

    def get_cache_key(self, request, view=None):
        ident = self.address if self.address is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def lockout(self) -> float | None:
        """Seconds until the address's failures leave the window, when they fill it; None otherwise. Counts nothing."""
        self.key = self.get_cache_key(None)
        self.now = self.timer()
        self.history = [at for at in self.cache.get(self.key, []) if at > self.now - self.duration]
        if len(self.history) < self.num_requests:
            return None
        return self.duration - (self.now - self.history[self.num_requests - 1])  # newest first: the n-th must expire
