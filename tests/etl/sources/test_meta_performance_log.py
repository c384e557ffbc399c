"""`metaads_campaigns_performance_log.csv` (contract §2.9), built from the contract: campaign_daily by (date,
campaign), pixel JSON kept as an object, invalid JSON → NULL + warning with the row still loaded, upsert that
never deletes, idempotency."""

import datetime as dt
import os
from decimal import Decimal

import pytest

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import Campaign, CampaignDaily, SourceFile

pytestmark = pytest.mark.django_db

NAME = "metaads_campaigns_performance_log.csv"
HEADER = [
    "date",
    "campaign_id",
    "campaign_name",
    "reach",
    "cpc",
    "spend_usd",
    "impressions",
    "clicks",
    "meta_pixel_events",
]
C1, C2 = "120224907266750075", "120223459844420075"


def stored() -> dict:
    return {
        (str(d.date), d.campaign.campaign_id): (
            d.spend_usd,
            d.impressions,
            d.clicks,
            d.reach,
            d.cpc_usd,
            d.pixel_events,
        )
        for d in CampaignDaily.objects.select_related("campaign")
    }


def test_pixel_json_invalid_json_and_upsert(lake):
    path = put(
        lake,
        NAME,
        HEADER,
        [
            [
                "2025-05-20",
                C1,
                "PIG1987 - THE STATE OF THE WORLD - BROAD",
                "3912.0",
                "0.13",
                "19.53",
                "11621",
                "147",
                '{"LinkClick": 51, "PostEngagement": 88}',
            ],
            ["2025-05-20", C2, "THE SOURCE - Streaming", "100", "", "2.00", "500", "4", "{}"],
            ["2025-05-21", C2, "THE SOURCE - Streaming", "", "0.5", "2.50", "600", "5", "{LinkClick: 3"],  # invalid
            ["2025-05-22", C2, "THE SOURCE - Streaming", "", "0.5", "2.50", "600", "5", ""],
            ["2025-05-23", "1.20223459844420E+17", "THE SOURCE - Streaming", "", "", "1", "1", "1", "{}"],  # line 6
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.25")
    assert code == 0
    assert counts(files[NAME]) == ("loaded", 5, 4, 0, 0, 1, None)
    assert quarantined(NAME) == [(6, "id_precision_lost")]
    assert stored() == {
        ("2025-05-20", C1): (
            Decimal("19.53"),
            11621,
            147,
            3912,
            Decimal("0.13"),
            {"LinkClick": 51, "PostEngagement": 88},
        ),
        ("2025-05-20", C2): (Decimal("2.00"), 500, 4, 100, None, {}),
        ("2025-05-21", C2): (Decimal("2.50"), 600, 5, None, Decimal("0.5"), None),
        ("2025-05-22", C2): (Decimal("2.50"), 600, 5, None, Decimal("0.5"), None),
    }
    assert SourceFile.objects.get(path=NAME).counters == {
        "integral_float": 1,
        "campaigns_created_from_facts": 2,
        "invalid_pixel_json": 1,
    }
    assert Campaign.objects.get(campaign_id=C2).token.token == "THE SOURCE"

    before = fingerprint()
    code, files, _ = load(lake, "--max-bad-ratio", "0.25", "--force")
    assert counts(files[NAME]) == ("loaded", 5, 0, 0, 4, 1, None)
    assert fingerprint() == before

    # A newer log that kept only a rolling window: revised day updated, days missing from it are kept.
    put(
        lake,
        NAME,
        HEADER,
        [["2025-05-22", C2, "THE SOURCE - Streaming", "", "0.5", "3.00", "700", "6", '{"Purchase": 1}']],
    )
    later = dt.datetime.now(dt.UTC).timestamp() + 60
    os.utime(path, (later, later))
    code, files, _ = load(lake)
    assert counts(files[NAME]) == ("loaded", 1, 0, 1, 0, 0, None)
    assert len(stored()) == 4
    assert stored()[("2025-05-22", C2)] == (Decimal("3.00"), 700, 6, None, Decimal("0.5"), {"Purchase": 1})
