"""`metaads_campaigns_daily.csv` (contract §2.8), built from the contract: v1 ad-level windows collapse to one
`ad_insight_window` each (inconsistent ones quarantined), campaign/ad set/ad attributes land on `campaign`;
v2 feeds first/last seen and the active flag; any other header is rejected naming both variants."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import AdInsightWindow, Campaign, SourceFile

pytestmark = pytest.mark.django_db

NAME = "metaads_campaigns_daily.csv"
V1 = (
    "campaign_id,campaign_name_x,adset_id,adset_name_x,spend,impressions,clicks,cpc,ctr,reach,frequency,date_start,"
    "date_stop,adset_name_y,adset_status,adset_daily_budget,adset_lifetime_budget,bid_strategy,targeting,"
    "optimization_goal,start_time_x,pacing_type,created_time_x,updated_time_x,campaign_name_y,campaign_status,"
    "campaign_objective,start_time_y,created_time_y,updated_time_y,ad_id,ad_name,status,effective_status,"
    "created_time,updated_time,creative_id,tracking_specs"
).split(",")
V2 = (
    "campaign_id,campaign_name,first_seen_date,last_seen_date,total_spend_usd,total_impressions,total_clicks,"
    "max_daily_reach,is_currently_active,data_source,api_version,avg_cpc,avg_ctr,total_days_active"
).split(",")
C1, C2 = "120224907266750075", "120218209525770075"


def v1_row(campaign, adset, ad, spend, impressions, start, stop, *, name="PIG1987 - THE STATE OF THE WORLD - BROAD"):
    values = {
        "campaign_id": campaign,
        "campaign_name_x": name,
        "adset_id": adset,
        "adset_name_x": f"SET {adset[-2:]}",
        "spend": spend,
        "impressions": impressions,
        "clicks": "10",
        "cpc": "0.13",
        "ctr": "1.2649",
        "reach": "900.0",
        "frequency": "1.1",
        "date_start": start,
        "date_stop": stop,
        "adset_status": "ACTIVE",
        "targeting": '{"geo_locations": {"countries": ["US"]}}',
        "campaign_name_y": name,
        "campaign_status": "ACTIVE",
        "campaign_objective": "OUTCOME_ENGAGEMENT",
        "ad_id": ad,
        "ad_name": f"AD {ad[-1]}",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "creative_id": "99" + ad[-3:],
        "tracking_specs": "[]",
    }
    return [values.get(column, "") for column in V1]


def test_v1_windows_collapse_and_inconsistent_window(lake):
    put(
        lake,
        NAME,
        V1,
        [
            v1_row(C1, "120224907266810075", "120224907266900001", "19.53", "11621", "2025-05-23", "2025-05-27"),
            v1_row(C1, "120224907266810075", "120224907266900002", "19.53", "11621", "2025-05-23", "2025-05-27"),
            v1_row(C1, "120224907266810075", "120224907266900003", "19.53", "11621", "2025-05-23", "2025-05-27"),
            v1_row(C1, "120224907266820075", "120224907266900004", "8.33", "4238", "2025-05-23", "2025-05-27"),
            # lines 6-7: one window, two different spends → inconsistent_window on both
            v1_row(
                C2,
                "120218209525780075",
                "120218209525900001",
                "100.00",
                "1000",
                "2025-02-07",
                "2025-05-27",
                name="ANOVUS - Streaming - Copy 2",
            ),
            v1_row(
                C2,
                "120218209525780075",
                "120218209525900002",
                "101.00",
                "1000",
                "2025-02-07",
                "2025-05-27",
                name="ANOVUS - Streaming - Copy 2",
            ),
            # a later dump's window of the first ad set: stored as its own window (the read side takes the latest)
            v1_row(C1, "120224907266810075", "120224907266900001", "25.00", "15000", "2025-05-23", "2025-05-30"),
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.5")
    assert code == 0
    assert counts(files[NAME]) == ("loaded", 7, 3, 0, 0, 2, None)
    assert quarantined(NAME) == [(6, "inconsistent_window"), (7, "inconsistent_window")]
    windows = {
        (w.campaign.campaign_id, w.adset_id, str(w.date_start), str(w.date_stop)): (
            w.spend_usd,
            w.impressions,
            w.reach,
            w.frequency,
            w.ctr_pct,
            w.source_line,
        )
        for w in AdInsightWindow.objects.select_related("campaign")
    }
    assert windows == {
        (C1, "120224907266810075", "2025-05-23", "2025-05-27"): (
            Decimal("19.53"),
            11621,
            900,
            Decimal("1.1"),
            Decimal("1.2649"),
            2,
        ),
        (C1, "120224907266820075", "2025-05-23", "2025-05-27"): (
            Decimal("8.33"),
            4238,
            900,
            Decimal("1.1"),
            Decimal("1.2649"),
            5,
        ),
        (C1, "120224907266810075", "2025-05-23", "2025-05-30"): (
            Decimal("25.00"),
            15000,
            900,
            Decimal("1.1"),
            Decimal("1.2649"),
            8,
        ),
    }
    source = SourceFile.objects.get(path=NAME)
    assert (source.schema_variant, source.counters) == (
        "v1",
        {"integral_float": 7, "ad_rows_collapsed": 2, "campaigns_inserted": 1},
    )
    campaign = Campaign.objects.get(campaign_id=C1)
    assert (
        campaign.name,
        campaign.artist.name,
        campaign.token.token,
        campaign.targeting,
        campaign.status,
        campaign.objective,
    ) == (
        "PIG1987 - THE STATE OF THE WORLD - BROAD",
        "PIG1987",
        "THE STATE OF THE WORLD",
        "BROAD",
        "ACTIVE",
        "OUTCOME_ENGAGEMENT",
    )
    assert sorted(campaign.attributes["adsets"]) == ["120224907266810075", "120224907266820075"]
    assert (
        campaign.attributes["adsets"]["120224907266810075"]["targeting"] == '{"geo_locations": {"countries": ["US"]}}'
    )
    assert sorted(campaign.attributes["ads"]) == [
        "120224907266900001",
        "120224907266900002",
        "120224907266900003",
        "120224907266900004",
    ]
    assert not Campaign.objects.filter(campaign_id=C2).exists()  # its only rows were quarantined

    before = fingerprint()
    code, files, _ = load(lake, "--max-bad-ratio", "0.5", "--force")
    assert counts(files[NAME]) == ("loaded", 7, 0, 0, 3, 2, None)
    assert fingerprint() == before


def test_v2_campaign_rollup(lake):
    put(
        lake,
        NAME,
        V2,
        [
            [
                C1,
                "PIG1987 - THE STATE OF THE WORLD - BROAD",
                "2025-05-23",
                "2025-05-27",
                "38.50",
                "20000",
                "300",
                "9000",
                "True",
                "meta_daily_campaigns_extractor",
                "v18.0",
                "0.1283",
                "1.500",
                "5",
            ],
            [
                C2,
                "ANOVUS - Streaming - Copy 2",
                "2025-02-07",
                "2025-04-30",
                "259.37",
                "278473",
                "3387",
                "",
                "False",
                "meta_daily_campaigns_extractor",
                "v18.0",
                "0.0766",
                "1.216",
                "83",
            ],
        ],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[NAME]) == ("loaded", 2, 2, 0, 0, 0, None)
    got = {
        c.campaign_id: (
            c.name,
            c.first_seen_date,
            c.last_seen_date,
            c.is_currently_active,
            c.artist.name,
            c.parse_status,
            c.is_copy,
        )
        for c in Campaign.objects.select_related("artist")
    }
    assert got == {
        C1: (
            "PIG1987 - THE STATE OF THE WORLD - BROAD",
            dt.date(2025, 5, 23),
            dt.date(2025, 5, 27),
            True,
            "PIG1987",
            "parsed",
            False,
        ),
        C2: (
            "ANOVUS - Streaming - Copy 2",
            dt.date(2025, 2, 7),
            dt.date(2025, 4, 30),
            False,
            "ZONE A0",
            "parsed",
            True,
        ),
    }
    assert AdInsightWindow.objects.count() == 0  # totals are reconciliation only
    assert SourceFile.objects.get(path=NAME).schema_variant == "v2"


def test_unknown_header_rejected_naming_both_variants(lake):
    header = [c for c in V2 if c != "total_spend_usd"] + ["spend_total"]
    put(
        lake,
        NAME,
        header,
        [[C1, "X", "2025-05-23", "2025-05-27", "20000", "300", "", "True", "m", "v18.0", "0.1", "1.5", "5", "38.50"]],
    )
    code, files, _ = load(lake)
    assert code == 1
    assert (files[NAME]["status"], files[NAME]["reason"]) == ("rejected", "unknown_header")
    message = SourceFile.objects.get(path=NAME).message
    assert message.startswith(f"{NAME}: rejected (unknown_header): ")
    assert "v1 (38 columns): missing campaign_name_x" in message
    assert "v2 (14 columns): missing total_spend_usd; unexpected spend_total" in message
    assert Campaign.objects.count() == 0
