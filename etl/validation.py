"""Vectorised column parsers (pandas): each returns the parsed values and a reason code per row.

A parser takes a Series of raw strings (object dtype; the CSV text, "" = missing; `NA` is a value) and returns
`Parsed`: `values` (typed: Int64, datetime64, object of str), `errors` ("" where the value is fine, else a
contract quarantine code) and `flags` (per-row boolean masks of normalisations and warnings, by code, counted
in the run summary). Every column's rules run on every row, so a row collects all its failures.
The pipeline calls a parser once per *distinct* value of a column (pd.factorize), then maps the results back to
the rows: DK columns have few distinct values, which keeps a 1M-row file fast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from warehouse import clock
from warehouse.fields import MONEY_SCALE
from warehouse.models import ISRC_PATTERN
from warehouse.spreadsheet import FORMULA_PREFIXES

_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_PLAIN_INT = r"[+-]?\d+"
FUTURE_TOLERANCE = dt.timedelta(days=1)


@dataclass
class Parsed:
    values: pd.Series
    errors: pd.Series
    flags: dict[str, pd.Series] = field(default_factory=dict)


Parser = Callable[[pd.Series], Parsed]


def _errors_like(raw: pd.Series) -> pd.Series:
    return pd.Series("", index=raw.index, dtype=object)


def _strip_thousands(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """`1,234` (a quoted count with thousands separators) → `1234`; flagged as a normalisation."""
    grouped = raw.str.fullmatch(_THOUSANDS).astype(bool)
    if grouped.any():
        raw = raw.where(~grouped, raw.str.replace(",", "", regex=False))
    return raw, grouped


def text(*, required: bool = False, max_length: int | None = None) -> Parser:
    """Verbatim text. Formula-looking values (`=HYPERLINK(…)`) load as written and are counted as a warning."""

    def parse(raw: pd.Series) -> Parsed:
        errors = _errors_like(raw)
        if required:
            errors[raw == ""] = "missing_key"
        if max_length:
            errors[(errors == "") & (raw.str.len() > max_length)] = "bad_enum"
        return Parsed(raw, errors, {"formula_like": raw.str.startswith(FORMULA_PREFIXES).astype(bool)})

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
        limit = pd.Timestamp((today or clock.today()) + FUTURE_TOLERANCE)
        errors[~bad & (values > limit)] = "future_date"
        return Parsed(values, errors)

    return parse


def integer(*, min_value: int | None = 0, allow_empty: bool = False) -> Parser:
    """Counts: `217.0` → 217 (counted), `"1,234"` → 1234, fractional → non_integer, < 0 → negative_count,
    NaN/inf/text → bad_number. Values are a nullable Int64 Series."""

    def parse(raw: pd.Series) -> Parsed:
        errors = _errors_like(raw)
        cleaned, thousands = _strip_thousands(raw)
        plain = cleaned.str.fullmatch(_PLAIN_INT).astype(bool)
        numbers = pd.to_numeric(cleaned.where(~plain, None), errors="coerce")  # only the non-plain rows
        finite = np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan))
        empty = cleaned == ""
        text_bad = ~plain & ~finite & ~(empty & allow_empty)
        errors[text_bad] = "bad_number"
        fractional = ~plain & finite & (numbers % 1 != 0)
        errors[fractional] = "non_integer"
        integral_float = ~plain & finite & (numbers % 1 == 0)
        values = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        if plain.any():
            values[plain] = cleaned[plain].astype("int64")
        if integral_float.any():
            values[integral_float] = numbers[integral_float].astype("int64")
        if min_value is not None:
            errors[(errors == "") & values.notna() & (values < min_value)] = "negative_count"
        return Parsed(values, errors, {"thousands_separator": thousands, "integral_float": integral_float})

    return parse


_INT64_MAX = 2**63 - 1


def _to_units(text_value: str, scale: int) -> int | None:
    try:
        number = Decimal(text_value)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    scaled = number.scaleb(scale)
    units = int(scaled)
    return units if scaled == units and abs(units) <= _INT64_MAX else None


def decimal_units(*, scale: int = MONEY_SCALE, allow_empty: bool = False, min_value: int | None = None) -> Parser:
    """Exact decimals (money, ratios) as integer units of 10**-scale (FixedDecimalField's storage), never float.
    `9.255e-05` is fine; NaN/inf/text, or more digits than the scale holds, → bad_number. Values: Int64."""

    def parse(raw: pd.Series) -> Parsed:
        cleaned, thousands = _strip_thousands(raw)
        values = pd.Series(
            pd.array([_to_units(v, scale) if v else None for v in cleaned], dtype="Int64"), index=raw.index
        )
        errors = _errors_like(raw)
        empty = cleaned == ""
        errors[values.isna() & ~(empty & allow_empty)] = "bad_number"
        if min_value is not None:
            errors[(errors == "") & values.notna() & (values < min_value).fillna(False)] = "negative_count"
        exponent = cleaned.str.contains("e", case=False, regex=False).astype(bool)
        return Parsed(values, errors, {"thousands_separator": thousands, "exponent_form": exponent})

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
        return Parsed(values, errors, {"isrc_normalized": (values != raw) & (errors == "")})

    return parse


def country(*, missing_as: str = "NA") -> Parser:
    """Two upper-case letters; an empty value is `NA` (the contract: DistroKid wrote Namibia as empty)."""

    def parse(raw: pd.Series) -> Parsed:
        empty = raw == ""
        values = raw.where(~empty, missing_as)
        errors = _errors_like(raw)
        errors[~values.str.fullmatch(r"[A-Z]{2}")] = "bad_enum"
        return Parsed(values, errors, {"country_empty_as_na": empty})

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
