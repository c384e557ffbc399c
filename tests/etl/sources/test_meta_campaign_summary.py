"""Meta campaign_summary (contract §2.7, §4.4): the 13 sample campaigns with their parsed names, the dated and
`_latest` copies never doubling, a newer copy winning, manual overrides surviving a reload."""

import datetime as dt
import os

import pytest

from tests.etl.helpers import curated, read_rows, write_csv
from tests.etl.sources.conftest import counts, load
from warehouse.models import Campaign, CampaignToken

pytestmark = pytest.mark.django_db

DATED = "metaads/campaign_summary_20250527.csv"
LATEST = "metaads/campaign_summary_latest.csv"

# campaign_id → (name, artist, token, targeting, parse_status, is_copy, objective, status)
SAMPLE_CAMPAIGNS = {
    "120218209525770075": ("ANOVUS - Streaming - Copy 2", "ZONE A0", "ANOVUS", "STREAMING", "parsed", True),
    "120214961689440075": ("PIG1987 - DYSMORPHIA - Streaming", "PIG1987", "DYSMORPHIA", "STREAMING", "parsed", False),
    "120215277232180075": (
        "ENGAGEMENT PROTOCOL - Streaming - Copy",
        "ZONE A0",
        "ENGAGEMENT PROTOCOL",
        "STREAMING",
        "parsed",
        True,
    ),
    "120223459844420075": ("THE SOURCE - Streaming", "ZONE A0", "THE SOURCE", "STREAMING", "parsed", False),
    "120218209686890075": (
        "PIG1987 - HEAVEN NIGHTCLUB - Streaming - Copy",
        "PIG1987",
        "HEAVEN NIGHTCLUB",
        "STREAMING",
        "parsed",
        True,
    ),
    "120222355643880075": (
        "PIG1987 - TRANSFORMER ARCHITECTURE - STREAMING",
        "PIG1987",
        "TRANSFORMER ARCHITECTURE",
        "STREAMING",
        "parsed",
        False,
    ),
    "120214803933120075": (
        "THE FEW THAT REMAINED - Streaming",
        "ZONE A0",
        "THE FEW THAT REMAINED",
        "STREAMING",
        "parsed",
        False,
    ),
    "120218067399650075": (
        "ZONE A0 ANOVUS STREAMING CAMPAIGN",
        "ZONE A0",
        "ANOVUS",
        "STREAMING CAMPAIGN",
        "nonconforming",
        False,
    ),
    "120217792461870075": ("PIG1987 - HEAVEN NIGHTCLUB", "PIG1987", "HEAVEN NIGHTCLUB", None, "parsed", False),
    "120224906903540075": (
        "PIG1987 - THE STATE OF THE WORLD - BROAD SPOTIFY",
        "PIG1987",
        "THE STATE OF THE WORLD",
        "BROAD SPOTIFY",
        "parsed",
        False,
    ),
    "120224907266750075": (
        "PIG1987 - THE STATE OF THE WORLD - BROAD",
        "PIG1987",
        "THE STATE OF THE WORLD",
        "BROAD",
        "parsed",
        False,
    ),
    "120224903624070075": (
        "PIG1987 - THE STATE OF THE WORLD - TECHNO",
        "PIG1987",
        "THE STATE OF THE WORLD",
        "TECHNO",
        "parsed",
        False,
    ),
    "120224906419890075": (
        "PIG1987 - THE STATE OF THE WORLD - HARD TRANCE",
        "PIG1987",
        "THE STATE OF THE WORLD",
        "HARD TRANCE",
        "parsed",
        False,
    ),
}


def campaigns() -> dict[str, tuple]:
    return {
        c.campaign_id: (
            c.name,
            c.artist.name if c.artist else None,
            c.token.token if c.token else None,
            c.targeting,
            c.parse_status,
            c.is_copy,
        )
        for c in Campaign.objects.select_related("artist", "token")
    }


def test_sample_campaigns_parsed_and_pair_not_doubled(lake_copy):
    code, files, _ = load(lake_copy, "--source", "meta_campaign_summary")
    assert code == 0
    assert counts(files[DATED]) == ("loaded", 13, 13, 0, 0, 0, None)
    assert files[LATEST]["status"] == "skipped"  # byte-identical twin: same sha256
    assert campaigns() == SAMPLE_CAMPAIGNS
    assert sorted(Campaign.objects.filter(status="ACTIVE").values_list("name", flat=True)) == [
        "PIG1987 - THE STATE OF THE WORLD - BROAD",
        "PIG1987 - THE STATE OF THE WORLD - BROAD SPOTIFY",
        "THE SOURCE - Streaming",
    ]
    assert set(Campaign.objects.values_list("objective", flat=True)) == {"OUTCOME_ENGAGEMENT"}
    assert Campaign.objects.filter(status="PAUSED").count() == 10
    assert Campaign.objects.get(campaign_id="120218209525770075").track.isrc == "QT2VB2509864"
    assert CampaignToken.objects.filter(needs_review=True).count() == 0

    code, files, _ = load(lake_copy, "--source", "meta_campaign_summary", "--force")
    assert counts(files[DATED]) == ("loaded", 13, 0, 0, 13, 0, None)
    assert counts(files[LATEST]) == ("loaded", 13, 0, 0, 13, 0, None)
    assert Campaign.objects.count() == 13


def test_newer_latest_copy_wins_and_override_survives(lake_copy):
    header, rows = read_rows(curated(lake_copy, LATEST))
    rows[0][header.index("campaign_status")] = "ACTIVE"  # ANOVUS - Streaming - Copy 2 (PAUSED in the dated copy)
    rows[1][header.index("campaign_name")] = "PIG1987 - DYSMORPHIA - TECHNO"
    latest = write_csv(curated(lake_copy, LATEST), header, rows)
    stamp = dt.datetime(2025, 5, 28, 6, tzinfo=dt.UTC).timestamp()  # after the dated copy's 2025-05-27
    os.utime(latest, (stamp, stamp))
    load(lake_copy, "--source", "meta_campaign_summary", "--file", DATED)
    manual = Campaign.objects.get(campaign_id="120214961689440075")
    manual.is_override, manual.targeting, manual.parse_status = True, "HAND SET", "override"
    manual.save()

    code, files, _ = load(lake_copy, "--source", "meta_campaign_summary")
    assert code == 0
    assert counts(files[LATEST]) == ("loaded", 13, 0, 2, 11, 0, None)
    anovus = Campaign.objects.get(campaign_id="120218209525770075")
    assert anovus.status == "ACTIVE"
    kept = Campaign.objects.get(campaign_id="120214961689440075")
    assert (kept.name, kept.targeting, kept.parse_status) == ("PIG1987 - DYSMORPHIA - TECHNO", "HAND SET", "override")


def test_one_id_with_two_names_in_a_file_is_a_conflict(lake):
    from tests.etl.sources.conftest import put, quarantined

    header = [
        "campaign_name",
        "spend_usd",
        "impressions",
        "clicks",
        "reach",
        "campaign_id",
        "campaign_objective",
        "campaign_status",
        "cpm",
        "cpc",
        "ctr",
    ]
    name = "metaads/campaign_summary_20250601.csv"
    put(
        lake,
        name,
        header,
        [
            [
                "THE SCALE",
                "1.00",
                10,
                1,
                "9.0",
                "120000000000000001",
                "OUTCOME_ENGAGEMENT",
                "ACTIVE",
                "0.1",
                "1.0",
                "10",
            ],
            [
                "RENEGADE PIPELINE",
                "1.00",
                10,
                1,
                "9.0",
                "120000000000000001",
                "OUTCOME_ENGAGEMENT",
                "ACTIVE",
                "",
                "",
                "",
            ],
            [
                "New Engagement Ad Set",
                "2.00",
                20,
                2,
                "",
                "120000000000000002",
                "OUTCOME_ENGAGEMENT",
                "PAUSED",
                "",
                "",
                "",
            ],
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.7")
    assert code == 0
    assert counts(files[name]) == ("loaded", 3, 1, 0, 0, 2, None)
    assert quarantined(name) == [(2, "duplicate_key_conflict"), (3, "duplicate_key_conflict")]
    assert campaigns() == {
        "120000000000000002": ("New Engagement Ad Set", None, None, "ENGAGEMENT", "account_level", False)
    }


def test_summary_spend_is_reconciled_against_stored_daily_facts(lake_copy):
    from warehouse.models import SourceFile

    code, _, _ = load(lake_copy, "--source", "meta_campaign_summary", "meta_ad_performance")
    assert code == 0
    assert "summary_spend_mismatch" not in SourceFile.objects.get(path=DATED).counters  # no facts yet: not checked

    code, files, _ = load(lake_copy, "--source", "meta_campaign_summary", "--force")
    assert counts(files[DATED]) == ("loaded", 13, 0, 0, 13, 0, None)
    assert "summary_spend_mismatch" not in SourceFile.objects.filter(path=DATED).first().counters  # Σ days agrees

    header, rows = read_rows(curated(lake_copy, LATEST))
    rows[0][header.index("spend_usd")] = "259.39"  # ANOVUS: 2 cents more than its ad-set days
    rows[1][header.index("spend_usd")] = "253.00"  # DYSMORPHIA: 1 cent more: within the tolerance
    write_csv(curated(lake_copy, LATEST), header, rows)
    code, files, _ = load(lake_copy, "--source", "meta_campaign_summary", "--file", LATEST)
    assert code == 0
    assert counts(files[LATEST]) == ("loaded", 13, 0, 0, 13, 0, None)  # totals are not stored on the campaign
    assert SourceFile.objects.filter(path=LATEST, status="loaded").first().counters == {
        "integral_float": 13,
        "summary_spend_mismatch": 1,
    }
