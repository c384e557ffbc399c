"""Meta daily_performance (contract §2.7): account-level rows per date, the sample oracle (README §4.5), the
dated/_latest pair loaded once, a newer copy revising a date."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from tests.etl.helpers import curated, fingerprint, read_rows, write_csv
from tests.etl.sources.conftest import counts, load, quarantined

pytestmark = pytest.mark.django_db

DATED = "metaads/daily_performance_20250527.csv"
LATEST = "metaads/daily_performance_latest.csv"


def test_sample_oracle_pair_not_doubled_and_newer_copy_wins(lake_copy):
    from warehouse.models import AdAccountDaily

    code, files, _ = load(lake_copy, "--source", "meta_daily_performance")
    assert code == 0
    assert counts(files[DATED]) == ("loaded", 7, 7, 0, 0, 0, None)
    assert files[LATEST]["status"] == "skipped"
    totals = AdAccountDaily.objects.aggregate(
        n=Count("id"), spend=Sum("spend_usd"), imp=Sum("impressions"), clicks=Sum("clicks"), reach=Sum("reach")
    )
    assert totals == {"n": 7, "spend": Decimal("1889.10"), "imp": 5255985, "clicks": 31074, "reach": 1987180}
    first = AdAccountDaily.objects.get(date=dt.date(2025, 1, 20))
    assert (first.spend_usd, first.reach, first.cpm_usd, first.cpc_usd, first.ctr_pct) == (
        Decimal("129.2"),
        580554,
        Decimal("0.17"),
        Decimal("0.04"),
        Decimal("0.4156"),
    )
    before = fingerprint()

    header, rows = read_rows(curated(lake_copy, LATEST))
    rows[0][header.index("spend_usd")] = "130.20"
    rows.append(["2025-05-24", "1.5", "10", "1", "9.0", "0.15", "1.5", "10.0"])
    rows.append(["2025-05-25", "NaN", "10", "1", "9.0", "", "", ""])  # line 10: bad_number
    latest = write_csv(curated(lake_copy, LATEST), header, rows)
    # Newer than every copy loaded or skipped so far (the skipped twin had the checkout's mtime; the loader ranks the
    # loaded copy as that twin), as an upstream rewrite is.
    stamp = dt.datetime.now(dt.UTC).timestamp() + 60
    os.utime(latest, (stamp, stamp))
    code, files, _ = load(lake_copy, "--source", "meta_daily_performance", "--max-bad-ratio", "0.2")
    assert counts(files[LATEST]) == ("loaded", 9, 1, 1, 6, 1, None)
    assert quarantined(LATEST) == [(10, "bad_number")]
    assert AdAccountDaily.objects.aggregate(s=Sum("spend_usd"))["s"] == Decimal("1891.60")
    assert fingerprint() != before
