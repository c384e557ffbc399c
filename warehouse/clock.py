"""The one "today": the current date in settings.TIME_ZONE (UTC by default), whoever asks (API, /ws, admin, loader)."""

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()
