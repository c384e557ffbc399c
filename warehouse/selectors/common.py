"""What every reader shares: the soft-failure exceptions, the contract's date formats, month arithmetic, the
per-stream rates, and the group-by accumulator.

Figures leave the selectors unrounded, as Decimal and int: the API's serializer fields (api/fields.py) round them
half-up to the contract's precision for the wire. Dates are `YYYY-MM-DD`, months `YYYY-MM`, timestamps ISO 8601
UTC with `Z`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

ZERO = Decimal(0)
SOURCES = ("distrokid", "toolost")


class NoData(Exception):
    """The contract's soft failure: HTTP 200 {"success": false, "error": <message>}."""


class BadParameter(ValueError):
    """A query parameter the data cannot serve (400 naming the parameter)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


# --- Arithmetic ---------------------------------------------------------------------------------------------------


def div(numerator, denominator) -> Decimal:
    return Decimal(numerator) / Decimal(denominator) if denominator else ZERO


def change_pct(current, previous) -> Decimal:
    """The change from `previous` in percent, unrounded (0 when there is nothing to compare with)."""
    return div((Decimal(current) - Decimal(previous)) * 100, previous)


# --- Dates --------------------------------------------------------------------------------------------------------


def ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def iso_month(value: dt.date | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def add_months(value: dt.date, months: int) -> dt.date:
    index = value.year * 12 + value.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(value: dt.date) -> dt.date:
    return add_months(value, 1) - dt.timedelta(days=1)


def as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- Rates --------------------------------------------------------------------------------------------------------


def revenue_rates_get() -> dict[str, Decimal]:
    return {key: Decimal(str(value)) for key, value in settings.REVENUE_RATES.items()}


def expected_revenue(spotify: int, apple: int, rates: dict[str, Decimal] | None = None) -> Decimal:
    rates = rates or revenue_rates_get()
    return spotify * rates["spotify"] + apple * rates["apple_music"]


# --- Group-by accumulator -----------------------------------------------------------------------------------------


def _key_text(key: tuple) -> tuple:
    return tuple("" if value is None else str(value) for value in key)


class Buckets(dict):
    """One row per group key: `add` starts the row from `start` the first time its key is met (pass a fresh
    dict: it becomes the row) and adds `values` to its fields every time."""

    def add(self, key, start: dict, **values) -> dict:
        bucket = self.get(key)
        if bucket is None:
            bucket = self[key] = start
        for name, value in values.items():
            bucket[name] += value
        return bucket

    def rows(self) -> list[dict]:
        """The rows ordered by key, compared as text (None first)."""
        return [self[key] for key in sorted(self, key=_key_text)]
