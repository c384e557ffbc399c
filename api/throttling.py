"""DRF's anon/user throttles, reading classes and rates from settings at request time (not at import), so a
deployment's env and a test's override_settings both take effect."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


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
