"""The warehouse's campaigns, load runs and master-data endpoints (/api/campaigns, /api/loads, /api/artists,
/api/tracks, /api/platforms) over the sample lake: full bodies against CSV-computed figures."""

from collections import defaultdict
from decimal import Decimal

import pytest

from tests.api import oracle as o
from warehouse import selectors

pytestmark = pytest.mark.django_db


def test_campaigns(viewer, loaded):
    summary = {r["campaign_id"]: r for r in o.campaign_summary_rows()}
    per = defaultdict(list)
    for r in o.ad_rows():
        per[r["campaign_id"]].append(r)
    body = viewer.get("/api/campaigns").json()
    assert len(body["data"]) == 13 and body["metadata"]["row_count"] == 13
    for item in body["data"]:
        rows = per[item["campaign_id"]]
        spend = sum(r["spend"] for r in rows)
        impressions, clicks = sum(r["impressions"] for r in rows), sum(r["clicks"] for r in rows)
        assert {
            k: item[k]
            for k in (
                "campaign_name",
                "objective",
                "status",
                "first_date",
                "last_date",
                "spend_usd",
                "impressions",
                "clicks",
                "reach",
                "cpm_usd",
                "cpc_usd",
                "ctr_pct",
                "data_basis",
            )
        } == {
            "campaign_name": summary[item["campaign_id"]]["campaign_name"],
            "objective": summary[item["campaign_id"]]["campaign_objective"],
            "status": summary[item["campaign_id"]]["campaign_status"],
            "first_date": min(r["date"] for r in rows).isoformat(),
            "last_date": max(r["date"] for r in rows).isoformat(),
            "spend_usd": o.usd(spend),
            "impressions": impressions,
            "clicks": clicks,
            "reach": sum(r["reach"] for r in rows),
            "cpm_usd": o.usd(spend * 1000 / impressions),
            "cpc_usd": o.usd(spend / clicks),
            "ctr_pct": o.pct(Decimal(clicks * 100) / impressions),
            "data_basis": "daily",
        }
    anovus = next(i for i in body["data"] if i["campaign_id"] == "120218209525770075")
    assert (anovus["spend_usd"], anovus["artist"], anovus["track_title"], anovus["isrc"], anovus["is_copy"]) == (
        259.37,
        "ZONE A0",
        "ANOVUS",
        "QT2VB2509864",
        True,
    )  # README top campaign; contract §4.4 parse
    pig = viewer.get("/api/campaigns?artist=pig1987&include_daily=true&start=2025-05-01").json()["data"]
    assert {i["artist"] for i in pig} == {"PIG1987"} and all(i["first_date"] >= "2025-05-01" for i in pig)
    assert all(
        i["daily"]
        == [
            {
                "period": i["first_date"],
                "spend_usd": i["spend_usd"],
                "impressions": i["impressions"],
                "clicks": i["clicks"],
                "reach": i["reach"],
            }
        ]
        for i in pig
    )


def test_loads_and_resources(viewer, loaded):
    listing = viewer.get("/api/loads").json()
    assert listing["metadata"] == {"count": 1, "limit": 50, "offset": 0, "next": None, "previous": None}
    run = listing["data"][0]
    assert {
        k: run[k]
        for k in (
            "id",
            "status",
            "trigger",
            "files_loaded",
            "files_skipped",
            "files_rejected",
            "files_ignored",
            "rows_quarantined",
            "warnings",
        )
    } == {
        "id": loaded.pk,
        "status": "succeeded",
        "trigger": "cli",
        "files_loaded": 7,
        "files_skipped": 3,
        "files_rejected": 0,
        "files_ignored": 2,
        "rows_quarantined": 0,
        "warnings": [],
    }
    detail = viewer.get(f"/api/loads/{loaded.pk}/").json()["data"]
    files = {
        f["path"]: (f["status"], f["rows_read"], f["rows_quarantined"], f["quarantine_reasons"])
        for f in detail["files"]
    }
    assert files["dk_bank_details.csv"] == ("loaded", 8635, 0, {})
    assert files["tidy_daily_streams.csv"] == ("loaded", 468, 0, {})
    assert files["metaads/ad_performance_20250527.csv"] == ("loaded", 31, 0, {}) and len(files) == 7
    tracks = viewer.get("/api/tracks?artist=ZONE%20A0&ordering=-isrc&limit=2").json()
    assert (
        tracks["metadata"]["count"] == 17
    )  # 16 primary + HEAVEN NIGHTCLUB featured and [t["isrc"] for t in tracks["data"]] == ["QZZ7N2490366", "QZZ792400421"]
    assert tracks["data"][1]["artists"] == [
        {"name": "ZONE A0", "role": "primary", "label_share_pct": 100.0, "share_confirmed": False},
        {"name": "PIG1987", "role": "featured", "label_share_pct": 100.0, "share_confirmed": False},
    ]
    assert [p["slug"] for p in viewer.get("/api/platforms?type=download").json()["data"]] == ["itunes"]
    assert viewer.get("/api/artists?name=zone&ordering=name").json()["data"][0] == {
        "id": selectors.artist_resolve(name="ZONE A0").pk,
        "name": "ZONE A0",
        "spotify_artist_id": "62owJQCD2XzVB2o19CVsFM",
        "status": "active",
        "aliases": ["zone.a0", "zone_a0", "zonea0"],
    }
