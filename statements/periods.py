"""Statement periods: a Sale Month (`2025-03`), a quarter (`2025-Q1`), a year (`2025`) or any range of Sale
Months (`2024-11..2025-02`). Parsed against an allow-list of shapes; the label is canonical (a range that is a
whole quarter is labelled as the quarter)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH = r"(\d{4})-(0[1-9]|1[0-2])"
_SHAPES = {
    "month": re.compile(rf"^{_MONTH}$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
    "range": re.compile(rf"^{_MONTH}\.\.{_MONTH}$"),
}
FORMATS = "YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM"


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: date  # first day of the first Sale Month
    end: date  # first day of the last Sale Month (inclusive)

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%Y-%m}"
        if self.start.year == self.end.year and self.start.month % 3 == 1 and self.end.month == self.start.month + 2:
            return f"{self.start.year}-Q{self.start.month // 3 + 1}"
        if self.start.year == self.end.year and (self.start.month, self.end.month) == (1, 12):
            return f"{self.start.year}"
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        return self.label


def period_parse(text: str) -> Period:
    text = (text or "").strip().upper()
    if m := _SHAPES["month"].match(text):
        start = date(int(m[1]), int(m[2]), 1)
        return Period(start, start)
    if m := _SHAPES["quarter"].match(text):
        first = (int(m[2]) - 1) * 3 + 1
        return Period(date(int(m[1]), first, 1), date(int(m[1]), first + 2, 1))
    if m := _SHAPES["year"].match(text):
        return Period(date(int(m[1]), 1, 1), date(int(m[1]), 12, 1))
    if m := _SHAPES["range"].match(text):
        start, end = date(int(m[1]), int(m[2]), 1), date(int(m[3]), int(m[4]), 1)
        if end < start:
            raise PeriodError(f"period {text!r}: the range ends before it starts")
        return Period(start, end)
    raise PeriodError(f"period {text!r} is not one of {FORMATS}")
