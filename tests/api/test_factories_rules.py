"""Rules the sample lake cannot show (no Spotify audience, no performance log, no v1 windows, no expenses, no
unmapped artists): built with factories, asserted at the selector and endpoint level."""

import datetime as dt
from decimal import Decimal

import pytest

from api import bodies as b
from api.fields import shape
from tests import factories as f
from tests.api import oracle as o
from warehouse import selectors, services
from warehouse.models import Artist, Platform

pytestmark = pytest.mark.django_db


def test_spotify_audience_rows_goals_and_social(viewer):
    pig, zone = Artist.objects.get(name="PIG1987"), Artist.objects.get(name="ZONE A0")
    for day, followers, listeners in ((dt.date(2025, 5, 1), 900, 10), (dt.date(2025, 6, 1), 1500, 12)):
        f.SpotifyAudienceDailyFactory(artist=pig, date=day, followers=followers, listeners=listeners, streams=40)
    f.SpotifyAudienceDailyFactory(
        artist=zone, date=dt.date(2025, 6, 1), followers=7000, listeners=30, streams=90, source_alias="zone_a0"
    )
    body = viewer.get("/api/streaming/spotify-audience?artist=zone.a0").json()
    assert body["data"] == [
        {
            "date": "2025-06-01",
            "listeners": 30,
            "streams": 90,
            "followers": 7000,
            "artist_id": "62owJQCD2XzVB2o19CVsFM",
            "artist_name": "zone_a0",
            "extracted_at": "2025-06-23T08:14:02.123456",
            "source_file": "spotify_audience_1Eu67EqPy2NutiM0lqCarw_20250623_081402.csv",
            "data_source": "spotify_audience",
            "processed_at": "2025-06-23T08:15:00.000001",
        }
    ]
    all_rows = viewer.get("/api/streaming/spotify-audience").json()["data"]
    assert [(r["artist_name"], r["date"]) for r in all_rows] == [
        ("pig1987", "2025-05-01"),
        ("pig1987", "2025-06-01"),
        ("zone_a0", "2025-06-01"),
    ]
    goals, _ = selectors.kpi_goals_get()
    assert goals["spotify_followers"] == {"target": 10000, "current": 8500, "progress": 85.0, "status": "on_track"}
    social = selectors.kpis_get(today=dt.date(2025, 6, 2))["social"]["spotify"]
    assert social == {
        "followers": {"PIG1987": 1500, "ZONE A0": 7000},
        "followers_total": 8500,
        "listeners_latest": {"PIG1987": 12, "ZONE A0": 30},
    }
    growth = selectors.kpis_get(today=dt.date(2025, 6, 2))["growth"]
    assert growth["spotify_followers_30d_change"] == 8500 - 900  # ZONE A0 had no value 30 days earlier
    rows, meta = selectors.streaming_series_list(
        filters=selectors.SeriesFilters(granularity="month", start=dt.date(2025, 5, 1), group_by=["artist"]),
        source="spotify_audience",
    )
    assert [(r["period"], r["artist"], r["streams"], r["listeners"], r["followers"]) for r in rows] == [
        ("2025-05", "PIG1987", 40, 10, 900),
        ("2025-06", "PIG1987", 40, 12, 1500),
        ("2025-06", "ZONE A0", 90, 30, 7000),
    ]


def test_meta_precedence_ad_rollup_over_campaign_daily_and_windows_only_without_days():
    both = f.CampaignFactory(name="PIG1987 - DYSMORPHIA - STREAMING", status="ACTIVE")
    f.AdPerformanceDailyFactory(campaign=both, date=dt.date(2025, 5, 1), spend_usd=Decimal("5.00"))
    f.AdPerformanceDailyFactory(
        campaign=both, date=dt.date(2025, 5, 1), spend_usd=Decimal("2.50"), impressions=250, clicks=3
    )
    f.CampaignDailyFactory(campaign=both, date=dt.date(2025, 5, 1), spend_usd=Decimal("99.00"))  # shadowed
    f.CampaignDailyFactory(campaign=both, date=dt.date(2025, 5, 2), spend_usd=Decimal("10.00"))  # no roll-up: used
    windowed = f.CampaignFactory(name="THE SOURCE - Streaming")
    f.AdInsightWindowFactory(campaign=windowed, adset_id="1", date_stop=dt.date(2025, 5, 20), spend_usd=Decimal("7"))
    f.AdInsightWindowFactory(campaign=windowed, adset_id="1", date_stop=dt.date(2025, 5, 27), spend_usd=Decimal("9"))
    f.AdInsightWindowFactory(campaign=windowed, adset_id="2", date_stop=dt.date(2025, 5, 27), spend_usd=Decimal("1"))
    f.AdInsightWindowFactory(campaign=both, adset_id="3", spend_usd=Decimal("500"))  # has days: never counted

    summary = shape(b.KPI_SUMMARY, selectors.kpi_summary_get()[0])  # as the API serves it
    assert summary["marketing"] == {
        "total_ad_spend": 27.5,
        "total_impressions": 250 + 500 + 1000 + 2000 + 2000,
        "average_cpc": o.usd(Decimal("27.5") / (3 + 5 + 10 + 20 + 20)),
        "total_clicks": 58,
    }
    campaigns = shape(b.CAMPAIGNS, selectors.campaign_list()[0])
    assert [
        (c["campaign_name"], c["spend_usd"], c["data_basis"], c["first_date"], c["last_date"]) for c in campaigns
    ] == [
        ("PIG1987 - DYSMORPHIA - STREAMING", 17.5, "daily", "2025-05-01", "2025-05-02"),
        ("THE SOURCE - Streaming", 10.0, "window", "2025-05-23", "2025-05-27"),
    ]
    assert selectors.kpis_get(today=dt.date(2025, 5, 28))["marketing"]["active_campaigns"] == 1


def test_expenses_are_never_revenue():
    f.BusinessExpenseFactory(date=dt.date(2025, 5, 1), amount_usd=Decimal("24.99"), category="Software")
    f.BusinessExpenseFactory(date=dt.date(2025, 3, 1), amount_usd=Decimal("100.00"), category="Ads")
    f.BusinessExpenseFactory(date=dt.date(2025, 5, 3), amount_usd=Decimal("-4.99"), category="Software")  # refund
    financial = selectors.kpis_get(today=dt.date(2025, 5, 4))["financial"]
    assert (financial["expenses_usd_all_time"], financial["expenses_usd_last_30d"], financial["total_revenue_usd"]) == (
        120.0,
        20.0,
        0.0,
    )
    data, _ = selectors.financial_series_get(
        filters=selectors.SeriesFilters(
            granularity="month", start=dt.date(2025, 3, 1), end=dt.date(2025, 5, 31), group_by=["category"]
        ),
        series=["expenses"],
    )
    assert data == {
        "expenses": [
            {"period": "2025-03", "category": "Ads", "amount_usd": 100.0, "line_count": 1},
            {"period": "2025-05", "category": "Software", "amount_usd": 20.0, "line_count": 2},
        ]
    }


def test_unmapped_artists_keep_their_raw_name_and_partial_days_are_not_complete():
    source_file = f.SourceFileFactory()
    spotify = Platform.objects.get(slug="spotify")
    f.RoyaltyLineFactory(
        source_file=source_file, artist=None, artist_raw="NEW ALIAS", earnings_usd=Decimal("1.10"), platform=spotify
    )
    f.RoyaltyLineFactory(source_file=source_file, earnings_usd=Decimal("2.00"), quantity=50)
    f.RoyaltyLineFactory(source_file=source_file, earnings_usd=Decimal("-0.50"), quantity=70)
    services.facts_changed(kind="dk_bank_details", source_file=source_file)
    data, meta = selectors.revenue_artist_get()
    data = shape(b.ARTISTS, data)
    assert {name: (v["total_revenue"], v["total_streams"], v["transaction_count"]) for name, v in data.items()} == {
        "PIG1987": (1.5, 50, 2),
        "NEW ALIAS": (1.1, 100, 1),
    }
    summary = shape(b.KPI_SUMMARY, selectors.kpi_summary_get()[0])
    assert (summary["artist_count"], summary["top_artist"], summary["total_revenue"], summary["total_streams"]) == (
        2,
        "PIG1987",
        2.6,
        150,
    )

    f.DistributorDailyStreamFactory(
        source_file=source_file, date=dt.date(2025, 1, 1), spotify_streams=10, apple_streams=1
    )
    f.DistributorDailyStreamFactory(
        source_file=source_file, date=dt.date(2025, 1, 2), spotify_streams=0, apple_streams=2, is_partial=True
    )
    assert selectors.streaming_latest_complete_date_get() == dt.date(2025, 1, 1)
    realtime, _ = selectors.kpi_realtime_get()
    assert realtime == {  # a single complete date: all changes are 0
        "current_day": {"date": "2025-01-01", "spotify_streams": 10, "apple_streams": 1, "total_streams": 11},
        "daily_change": {"spotify": 0, "apple": 0, "total": 0, "spotify_percent": 0.0, "apple_percent": 0.0},
    }
