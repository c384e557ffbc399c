"""Capital One purchases (contract §2.11), built from the contract: row hash + occurrence, overlapping exports
counted at their maximum multiplicity (never summed), both date formats, bad_date, defaults for empty Category
and Status, the CAPITAL_ONE_PURCHASE_SIGN setting, idempotency."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import BusinessExpense, SourceFile

pytestmark = pytest.mark.django_db

HEADER = ["Date", "Description", "Amount", "Category", "Status", "CardLast4"]
FIRST = "capitol_one_purchases_7113.csv"
SECOND = "capital_one_purchases_2025q2.csv"


def test_overlapping_exports_max_multiplicity_and_dates(lake):
    coffee = ["2025-04-02", "STUDIO COFFEE", "4.50", "Dining", "Posted", "7113"]
    put(
        lake,
        FIRST,
        HEADER,
        [
            coffee,
            coffee,  # the same purchase twice that day
            ["04/03/2025", "DISTROKID", "24.99", "", "", "7113"],  # US date; defaults
            ["2025-04-05", "REFUND PLUGIN", "-30.00", "Software", "Posted", "7113"],
            ["2025-02-30", "BAD DAY", "1.00", "", "", "7113"],  # line 6: bad_date
        ],
    )
    put(
        lake,
        SECOND,
        HEADER,
        [
            coffee,  # overlap: once here, twice above
            ["2025-04-03", "DISTROKID", "24.99", "Business Expense", "Posted", "7113"],  # same row, ISO date
            ["2025-05-01", "META ADS", "100.00", "Advertising", "Pending", "7113"],
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.25")
    assert code == 0
    assert counts(files[FIRST]) == ("loaded", 5, 4, 0, 0, 1, None)
    assert quarantined(FIRST) == [(6, "bad_date")]
    assert counts(files[SECOND]) == ("loaded", 3, 1, 0, 2, 0, None)
    rows = sorted(
        (str(e.date), e.description, e.amount_usd, e.category, e.status, e.card_last4, e.occurrence)
        for e in BusinessExpense.objects.all()
    )
    assert rows == [
        ("2025-04-02", "STUDIO COFFEE", Decimal("4.50"), "Dining", "Posted", "7113", 1),
        ("2025-04-02", "STUDIO COFFEE", Decimal("4.50"), "Dining", "Posted", "7113", 2),
        ("2025-04-03", "DISTROKID", Decimal("24.99"), "Business Expense", "Posted", "7113", 1),
        ("2025-04-05", "REFUND PLUGIN", Decimal("-30.00"), "Software", "Posted", "7113", 1),
        ("2025-05-01", "META ADS", Decimal("100.00"), "Advertising", "Pending", "7113", 1),
    ]
    assert BusinessExpense.objects.aggregate(s=Sum("amount_usd"))["s"] == Decimal("103.99")
    assert set(BusinessExpense.objects.values_list("source", flat=True)) == {"capital_one"}
    assert SourceFile.objects.get(path=FIRST).counters == {"purchases": 3, "refunds_or_credits": 1}

    before = fingerprint()
    code, files, _ = load(lake, "--max-bad-ratio", "0.25", "--force")
    assert [counts(files[p])[2:5] for p in (FIRST, SECOND)] == [(0, 0, 4), (0, 0, 3)]
    assert fingerprint() == before


def test_negative_purchase_sign(lake, settings):
    settings.CAPITAL_ONE_PURCHASE_SIGN = "negative"
    put(
        lake,
        FIRST,
        HEADER,
        [
            ["2025-04-02", "STUDIO COFFEE", "-4.50", "Dining", "Posted", "7113"],
            ["2025-04-06", "RETURN", "12.00", "Dining", "Posted", "7113"],
        ],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert sorted((e.description, e.amount_usd) for e in BusinessExpense.objects.all()) == [
        ("RETURN", Decimal("-12.00")),
        ("STUDIO COFFEE", Decimal("4.50")),
    ]
    assert SourceFile.objects.get(path=FIRST).counters == {"purchases": 1, "refunds_or_credits": 1}
    assert BusinessExpense.objects.filter(date=dt.date(2025, 4, 2)).count() == 1
