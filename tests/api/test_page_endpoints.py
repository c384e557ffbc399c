"""The two endpoints the warehouse's own page added: GET /api/sources (per-source lineage) and
GET /api/campaigns/streams (campaigns next to the account's streams), asserted as whole bodies."""

import csv
import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone

from tests.conftest import SAMPLE_LAKE
from tests.etl.helpers import curated
from warehouse import selectors

pytestmark = pytest.mark.django_db
ZERO = {"files_rejected": 0, "rows_quarantined": 0}


def expected_sources(kinds: dict[str, dict]) -> dict:
    freshness = selectors.freshness_get(today=timezone.now().date())  # the B2 part, tested with /api/kpis
    by_source = {
        "dk_bank_details": ["dk_bank_details"],
        "distrokid_streams": ["tidy_daily_streams"],
        "toolost_streams": ["tidy_daily_streams"],
        "spotify_audience": [],
        "spotify_songs": [],
        "tiktok": ["tiktok"],
        "linktree": ["linktree"],
        "metaads": ["meta_campaign_summary", "meta_daily_performance", "meta_ad_performance"],
        "royalty_splits": [],
        "capital_one": [],
    }
    result = {}
    for source, names in by_source.items():
        present = {name: kinds[name] for name in names if name in kinds}
        result[source] = {
            **freshness[source],
            "files_rejected": sum(k["files_rejected"] for k in present.values()),
            "rows_quarantined": sum(k["rows_quarantined"] for k in present.values()),
            "kinds": present,
        }
    return result


def test_sources_of_the_sample_lake(loaded, viewer, last_updated):
    one_clean_file = {"files": 1, **ZERO}
    kinds = {
        name: one_clean_file
        for name in (
            "dk_bank_details",
            "tidy_daily_streams",
            "tiktok",
            "linktree",
            "meta_campaign_summary",
            "meta_daily_performance",
            "meta_ad_performance",
        )
    }
    body = viewer.get("/api/sources").json()
    assert body == {
        "success": True,
        "data": expected_sources(kinds),
        "metadata": {"load_run_id": loaded.pk, "last_updated": last_updated},
    }


def daily_totals_from_the_csv() -> dict[dt.date, int]:
    totals: dict[dt.date, int] = defaultdict(int)
    with open(curated(SAMPLE_LAKE, "tidy_daily_streams.csv"), newline="") as handle:
        for row in csv.DictReader(handle):
            totals[dt.date.fromisoformat(row["date"])] += int(row["combined_streams"])
    return totals


def test_campaign_streams_of_the_sample_lake(loaded, viewer, last_updated):
    campaigns = viewer.get("/api/campaigns").json()["data"]
    totals = daily_totals_from_the_csv()
    expected = []
    for c in campaigns:
        start, end = dt.date.fromisoformat(c["first_date"]), dt.date.fromisoformat(c["last_date"])
        days = (end - start).days + 1
        window = [start + dt.timedelta(days=i) for i in range(days)]
        before = [start - dt.timedelta(days=days - i) for i in range(days)]
        during_sum, before_sum = sum(totals[d] for d in window), sum(totals[d] for d in before)
        expected.append(
            {
                **{
                    k: c[k]
                    for k in (
                        "campaign_id",
                        "campaign_name",
                        "artist",
                        "track_title",
                        "status",
                        "first_date",
                        "last_date",
                        "spend_usd",
                        "impressions",
                        "clicks",
                        "cpc_usd",
                        "ctr_pct",
                        "data_basis",
                    )
                },
                "window_days": days,
                "streams_during": during_sum,
                "days_with_streams_during": days,
                "before_start": before[0].isoformat(),
                "before_end": before[-1].isoformat(),
                "streams_before": before_sum,
                "days_with_streams_before": days,
                "streams_change_pct": round((during_sum - before_sum) * 100 / before_sum, 2),
            }
        )
    body = viewer.get("/api/campaigns/streams").json()
    assert body == {
        "success": True,
        "data": expected,
        "metadata": {
            "streams_source": "distributor (distrokid + toolost), complete days",
            "streams_through": "2025-08-17",
            "load_run_id": loaded.pk,
            "last_updated": last_updated,
        },
    }
    anovus = next(item for item in body["data"] if item["campaign_id"] == "120218209525770075")
    assert (anovus["streams_during"], anovus["streams_before"], anovus["streams_change_pct"]) == (5253, 5749, -8.63)
