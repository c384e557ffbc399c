"""The period allow-list and the one rounding rule (statements/periods.py, statements/money.py)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from statements.money import cents, cents_allocate
from statements.periods import Period, PeriodError, period_parse


@pytest.mark.parametrize(
    "text, start, end, label",
    [
        ("2025-03", (2025, 3), (2025, 3), "2025-03"),
        ("2025-q1", (2025, 1), (2025, 3), "2025-Q1"),
        ("2024-Q4", (2024, 10), (2024, 12), "2024-Q4"),
        ("2025", (2025, 1), (2025, 12), "2025"),
        ("2025-01..2025-03", (2025, 1), (2025, 3), "2025-Q1"),
        ("2024-11..2025-02", (2024, 11), (2025, 2), "2024-11..2025-02"),
        (" 2025-04..2025-04 ", (2025, 4), (2025, 4), "2025-04"),
    ],
)
def test_periods(text, start, end, label):
    period = period_parse(text)
    assert (period, period.label) == (Period(dt.date(*start, 1), dt.date(*end, 1)), label)


@pytest.mark.parametrize("text", ["", "2025-13", "2025-Q0", "25-01", "2025-1", "2025-01..", "2025/01", "2025-Q1; --"])
def test_anything_else_is_refused(text):
    with pytest.raises(PeriodError, match="is not one of YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM"):
        period_parse(text)


def test_largest_remainder_adds_up_and_moves_no_part_by_a_cent():
    parts = [D("0.333333"), D("0.333333"), D("0.333334")]
    assert cents_allocate(parts=parts, total=D("1.00")) == [D("0.33"), D("0.33"), D("0.34")]
    assert cents_allocate(parts=[D("2.275"), D("2.275")], total=D("4.55")) == [D("2.28"), D("2.27")]  # tie: earlier
    negative = [D("-3.795"), D("1.2049"), D("-0.0001")]
    rounded = cents_allocate(parts=negative, total=cents(sum(negative)))
    assert (rounded, sum(rounded)) == ([D("-3.79"), D("1.20"), D("0.00")], D("-2.59"))  # fractions .5, .49, .99
    assert all(abs(r - p) < D("0.01") for r, p in zip(rounded, negative))
    with pytest.raises(ValueError, match="cannot allocate 5.00 over parts adding up to 1.0"):
        cents_allocate(parts=[D("0.5"), D("0.5")], total=D("5.00"))
