"""Vectorised column parsers (pandas): each returns the parsed values and a reason code per row.

A parser takes a Series of raw strings (the CSV text, "" = missing; `NA` is a value) and returns `Parsed`:
`values` (typed: int64/Int64, datetime64, object of str/int units), `errors` ("" where the value is fine, else a
contract quarantine code) and `counters` (normalisations and warnings by code, reported in the run summary).
Every parser runs on every row, so a row collects all its failures, not just the first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from warehouse.fields import MONEY_SCALE
from warehouse.models import ISRC_PATTERN

_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_PLAIN_INT = r"[+-]?\d+"
FORMULA_PREFIXES = ("=", "+", "@")
FUTURE_TOLERANCE = dt.timedelta(days=1)


@dataclass
class Parsed:
    values: pd.Series
    errors: pd.Series
    counters: dict[str, int] = field(default_factory=dict)


Parser = Callable[[pd.Series], Parsed]


def _errors_like(raw: pd.Series) -> pd.Series:
    return pd.Series("", index=raw.index, dtype=object)


def _strip_thousands(raw: pd.Series) -> tuple[pd.Series, int]:
    """`1,234` (a quoted count with thousands separators) → `1234`; counted as a normalisation."""
    grouped = raw.str.fullmatch(_THOUSANDS)
    count = int(grouped.sum())
    if count:
        raw = raw.where(~grouped, raw.str.replace(",", "", regex=False))
    return raw, count


def text(*, required: bool = False, max_length: int | None = None) -> Parser:
    """Verbatim text. Formula-looking values (`=HYPERLINK(…)`) load as written and are counted as a warning."""

    def parse(raw: pd.Series) -> Parsed:
        errors = _errors_like(raw)
        if required:
            errors[raw == ""] = "missing_key"
        if max_length:
            errors[(errors == "") & (raw.str.len() > max_length)] = "bad_enum"
        formula = int(raw.str.startswith(FORMULA_PREFIXES).sum())
        return Parsed(raw, errors, {"formula_like": formula} if formula else {})

    return parse


def enum(allowed: Iterable[str], *, reason: str = "bad_enum") -> Parser:
    allowed = frozenset(allowed)

    def parse(raw: pd.Series) -> Parsed:
        errors = _errors_like(raw)
        errors[~raw.isin(allowed)] = reason
        return Parsed(raw, errors)

    return parse


def date(*, fmt: str = "%Y-%m-%d", allow_empty: bool = False, today: dt.date | None = None) -> Parser:
    """Calendar dates (`2025-02-30` → bad_date). A date more than a day after today → future_date."""
    pattern = {"%Y-%m-%d": r"\d{4}-\d{2}-\d{2}", "%Y-%m": r"\d{4}-\d{2}"}[fmt]

    def parse(raw: pd.Series) -> Parsed:
        errors = _errors_like(raw)
        shaped = raw.str.fullmatch(pattern)
        values = pd.to_datetime(raw.where(shaped, None), format=fmt, errors="coerce")
        empty = raw == ""
        bad = values.isna() & ~(empty & allow_empty)
        errors[bad] = "bad_date"
        limit = pd.Timestamp((today or dt.date.today()) + FUTURE_TOLERANCE)
        errors[~bad & (values > limit)] = "future_date"
        return Parsed(values, errors)

    return parse


def integer(*, min_value: int | None = 0, allow_empty: bool = False) -> Parser:
    """Counts: `217.0` → 217 (counted), `"1,234"` → 1234, fractional → non_integer, < 0 → negative_count,
    NaN/inf/text → bad_number. Values are a nullable Int64 Series."""

    def parse(raw: pd.Series) -> Parsed:
        counters: dict[str, int] = {}
        errors = _errors_like(raw)
        cleaned, thousands = _strip_thousands(raw)
        if thousands:
            counters["thousands_separator"] = thousands
        plain = cleaned.str.fullmatch(_PLAIN_INT)
        numbers = pd.to_numeric(cleaned.where(~plain, None), errors="coerce")  # only the non-plain rows
        finite = np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan))
        empty = cleaned == ""
        text_bad = ~plain & ~finite & ~(empty & allow_empty)
        errors[text_bad] = "bad_number"
        fractional = ~plain & finite & (numbers % 1 != 0)
        errors[fractional] = "non_integer"
        integral_float = ~plain & finite & (numbers % 1 == 0)
        if integral_float.any():
            counters["integral_float"] = int(integral_float.sum())
        values = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        if plain.any():
            values[plain] = cleaned[plain].astype("int64")
        if integral_float.any():
            values[integral_float] = numbers[integral_float].astype("int64")
        if min_value is not None:
            errors[(errors == "") & values.notna() & (values < min_value)] = "negative_count"
        return Parsed(values, errors, counters)

    return parse


def _to_units(text_value: str, scale: int) -> int | None:
    try:
        number = Decimal(text_value)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    scaled = number.scaleb(scale)
    units = int(scaled)
    return units if scaled == units else None


def decimal_units(*, scale: int = MONEY_SCALE, allow_empty: bool = False, min_value: int | None = None) -> Parser:
    """Exact decimals (money, ratios) as integer units of 10**-scale (FixedDecimalField's storage), never float.
    `9.255e-05` is fine; NaN/inf/text, or more digits than the scale holds, → bad_number."""

    def parse(raw: pd.Series) -> Parsed:
        counters: dict[str, int] = {}
        cleaned, thousands = _strip_thousands(raw)
        if thousands:
            counters["thousands_separator"] = thousands
        values = pd.Series([_to_units(v, scale) if v else None for v in cleaned], index=raw.index, dtype=object)
        errors = _errors_like(raw)
        empty = cleaned == ""
        errors[values.isna() & ~(empty & allow_empty)] = "bad_number"
        if min_value is not None:
            errors[(errors == "") & values.notna() & (values.fillna(0) < min_value)] = "negative_count"
        exponent = int(cleaned.str.contains("e", case=False, regex=False).sum())
        if exponent:
            counters["exponent_form"] = exponent
        return Parsed(values, errors, counters)

    return parse


_ISRC = re.compile(ISRC_PATTERN)


def isrc(*, allow_empty: bool = False) -> Parser:
    """Upper-case, strip `-` and spaces (counted as isrc_normalized), then check the ISRC shape."""

    def parse(raw: pd.Series) -> Parsed:
        values = raw.str.replace("-", "", regex=False).str.replace(" ", "", regex=False).str.upper()
        errors = _errors_like(raw)
        empty = values == ""
        errors[empty & (not allow_empty)] = "missing_isrc"
        errors[~empty & ~values.str.fullmatch(ISRC_PATTERN)] = "bad_isrc"
        changed = int(((values != raw) & (errors == "")).sum())
        return Parsed(values, errors, {"isrc_normalized": changed} if changed else {})

    return parse


def country(*, missing_as: str = "NA") -> Parser:
    """Two upper-case letters; an empty value is `NA` (the contract: DistroKid wrote Namibia as empty)."""

    def parse(raw: pd.Series) -> Parsed:
        empty = raw == ""
        values = raw.where(~empty, missing_as)
        errors = _errors_like(raw)
        errors[~values.str.fullmatch(r"[A-Z]{2}")] = "bad_enum"
        count = int(empty.sum())
        return Parsed(values, errors, {"country_empty_as_na": count} if count else {})

    return parse


_TRUE = {"True", "true", "1"}
_FALSE = {"False", "false", "0"}


def boolean(*, allow_empty: bool = False) -> Parser:
    def parse(raw: pd.Series) -> Parsed:
        values = raw.map(lambda v: True if v in _TRUE else False if v in _FALSE else None)
        errors = _errors_like(raw)
        errors[values.isna() & ~((raw == "") & allow_empty)] = "bad_enum"
        return Parsed(values, errors)

    return parse
