"""Part B (the warehouse's endpoints) over the sample lake: full bodies against CSV-computed figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.api import oracle as o
from warehouse import selectors
from warehouse.models import SourceFile

pytestmark = pytest.mark.django_db
NULLS = dict.fromkeys(
    ("platform", "artist", "isrc", "spotify_track_id", "store", "country", "listeners", "followers", "savers")
)


def _kpis_expected(today: dt.date, last_updated: str) -> dict:
    lines, tidy = o.dk_lines(), o.tidy_rows()
    complete = defaultdict(lambda: [0, 0])
    for r in tidy:
        if not r.is_partial:
            complete[r.date][0] += r.spotify
            complete[r.date][1] += r.apple
    as_of = max(complete)

    def window(end, days):
        return sum(sum(v) for d, v in complete.items() if end - dt.timedelta(days=days) < d <= end)

    last_7, prev_7 = window(as_of, 7), window(as_of - dt.timedelta(days=7), 7)
    net = sum(line.earnings for line in lines)
    royalty_streams = sum(line.quantity for line in lines if line.earnings >= 0)
    tracks = defaultdict(lambda: [0, Decimal(0)])
    for line in lines:
        tracks[line.isrc][0] += line.quantity if line.earnings >= 0 else 0
        tracks[line.isrc][1] += line.earnings
    titles = {
        "QZTBF2439187": ("PERVERSION", "PIG1987"),
        "QZTAW2496365": ("HOLD ON I", "ZONE A0"),
        "QZTBF2441974": ("GATEWAY", "ZONE A0"),
        "QZWFK2497196": ("KEYGEN", "PIG1987"),
        "QZZ7M2426076": ("DYSMORPHIA", "PIG1987"),
    }  # contract §4.2 catalog
    top = sorted(tracks.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    months = defaultdict(Decimal)
    for line in lines:
        months[line.sale_month] += line.earnings
    sale_months = sorted(months)
    mtd = [r for r in tidy if as_of.replace(day=1) <= r.date <= as_of]
    by_artist = defaultdict(Decimal)
    for line in lines:
        by_artist[line.artist] += line.earnings
    tiktok = o.tiktok_rows()
    tiktok_end = max(r["date"] for r in tiktok)
    t30 = [
        r for r in tiktok if tiktok_end - dt.timedelta(days=30) < r["date"] <= tiktok_end and r["views"] + r["likes"]
    ]
    linktree = o.linktree_rows()
    linktree_end = max(r["date"] for r in linktree)
    l30 = [r for r in linktree if linktree_end - dt.timedelta(days=30) < r["date"] <= linktree_end]
    ads = o.ad_rows()
    spend, impressions, clicks = (
        sum(r["spend"] for r in ads),
        sum(r["impressions"] for r in ads),
        sum(r["clicks"] for r in ads),
    )
    ads_end = max(r["date"] for r in ads)
    complete_months = defaultdict(int)
    for d, v in complete.items():
        complete_months[d.replace(day=1)] += sum(v)
    full = [
        m
        for m in sorted(complete_months)
        if (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1) <= as_of
    ]
    files = {
        sf.kind: sf for sf in SourceFile.objects.filter(status__in=["loaded", "skipped"]).order_by("loaded_at", "id")
    }

    def fresh(latest, kinds, stale_days):
        newest = max((files[k] for k in kinds if k in files), key=lambda f: f.loaded_at, default=None)
        return {
            "latest_data_date": latest.isoformat() if latest else None,
            "last_loaded_at": selectors.ts(newest.loaded_at) if newest else None,
            "last_file": newest.path if newest else None,
            "stale": bool(latest and stale_days is not None and latest < today - dt.timedelta(days=stale_days)),
        }

    meta_kinds = ["meta_campaign_summary", "meta_daily_performance", "meta_ad_performance"]
    goals, _ = selectors.kpi_goals_get()
    return {
        "as_of": "2025-08-17",
        "streaming": {
            "total_streams_all_time": 1_002_754 + 100_941,
            "latest_day": {
                "date": "2025-08-17",
                "spotify": complete[as_of][0],
                "apple": complete[as_of][1],
                "total": sum(complete[as_of]),
            },
            "last_7d": last_7,
            "prev_7d": prev_7,
            "month_to_date": sum(v for m, v in complete_months.items() if m == as_of.replace(day=1)),
            "by_platform": {"spotify": 976_645 + 98_286, "apple_music": 26_109 + 2_655},
            "by_source": {"distrokid": 1_002_754, "toolost": 100_941},
            "royalty_streams_all_time": royalty_streams,
            "revenue_per_stream": o.rate(net / royalty_streams),
            "top_tracks": [
                {
                    "isrc": isrc,
                    "title": titles[isrc][0],
                    "artist": titles[isrc][1],
                    "streams": q,
                    "revenue_usd": o.usd(e),
                }
                for isrc, (q, e) in top
            ],
        },
        "financial": {
            "total_revenue_usd": 1587.06,
            "gross_revenue_usd": o.usd(sum(line.earnings for line in lines if line.earnings > 0)),
            "adjustments_usd": -65.67,
            "latest_sale_month": "2025-04",
            "latest_month_revenue_usd": 15.36,
            "mrr_usd": o.usd(sum(months[m] for m in sale_months[-3:]) / 3),
            "expected_revenue_month_to_date_usd": o.usd(
                o.expected(sum(r.spotify for r in mtd), sum(r.apple for r in mtd))
            ),
            "revenue_by_artist": {"PIG1987": 803.45, "ZONE A0": 783.61},
            "expenses_usd_all_time": 0.0,
            "expenses_usd_last_30d": 0.0,
            "ad_spend_usd_all_time": 1889.10,
        },
        "social": {
            "tiktok": {
                "video_views_30d": sum(r["views"] for r in t30),
                "engagement_rate_30d": o.ratio(
                    Decimal(sum(r["likes"] + r["comments"] + r["shares"] for r in t30)) / sum(r["views"] for r in t30)
                ),
                "followers": {"pig1987": None},
            },
            "linktree": {
                "views_30d": sum(r["views"] for r in l30),
                "clicks_30d": sum(r["clicks"] for r in l30),
                "click_through_ratio_30d": o.ratio(
                    Decimal(sum(r["clicks"] for r in l30)) / sum(r["views"] for r in l30)
                ),
            },
            "spotify": {"followers": {}, "followers_total": 0, "listeners_latest": {}},
        },
        "marketing": {
            "total_spend_usd": 1889.10,
            "spend_30d_usd": o.usd(sum(r["spend"] for r in ads if r["date"] > ads_end - dt.timedelta(days=30))),
            "impressions": impressions,
            "clicks": clicks,
            "ctr_pct": o.pct(Decimal(clicks * 100) / impressions),
            "cpc_usd": o.usd(spend / clicks),
            "cpm_usd": o.usd(spend * 1000 / impressions),
            "active_campaigns": sum(1 for r in o.campaign_summary_rows() if r["campaign_status"] == "ACTIVE"),
        },
        "growth": {
            "streams_wow_pct": o.pct(Decimal(last_7 - prev_7) * 100 / prev_7),
            "streams_mom_pct": o.pct(
                Decimal(complete_months[full[-1]] - complete_months[full[-2]]) * 100 / complete_months[full[-2]]
            ),
            "revenue_mom_pct": o.pct(
                (months[sale_months[-1]] - months[sale_months[-2]]) * 100 / months[sale_months[-2]]
            ),
            "spotify_followers_30d_change": 0,
        },
        "goals": goals,
        "alerts": [
            {
                "type": "revenue",
                "severity": "high",
                "message": "Revenue decreased by $321.51",
                "timestamp": last_updated,
            }
        ],
        "freshness": {
            "dk_bank_details": fresh(max(line.reporting_date for line in lines), ["dk_bank_details"], 45),
            "distrokid_streams": fresh(dt.date(2025, 8, 18), ["tidy_daily_streams"], 3),
            "toolost_streams": fresh(dt.date(2025, 5, 24), ["tidy_daily_streams"], 3),
            "spotify_audience": fresh(None, [], None),
            "spotify_songs": fresh(None, [], None),
            "tiktok": fresh(tiktok_end, ["tiktok"], 3),
            "linktree": fresh(linktree_end, ["linktree"], 3),
            "metaads": fresh(ads_end, meta_kinds, 3),
            "royalty_splits": fresh(None, [], None),
            "capital_one": fresh(None, [], None),
        },
    }


def test_kpis_selector_full_object(loaded, last_updated):
    today = dt.date(2025, 5, 28)  # DK reported 2025-05-26: fresh; TooLost ended 2025-05-24: stale (> 3 days)
    data = selectors.kpis_get(today=today)
    assert data == _kpis_expected(today, last_updated)
    assert sorted(s for s, v in data["freshness"].items() if v["stale"]) == ["metaads", "toolost_streams"]
    assert data["marketing"]["spend_30d_usd"] == 608.62  # the sample's kpi_summary: "Last 30 Days Spend $608.62"


def test_kpis_endpoint(viewer, loaded, last_updated):
    body = viewer.get("/api/kpis").json()
    assert body["data"] == _kpis_expected(dt.date.today(), last_updated)
    assert body["metadata"]["load_run_id"] == loaded.pk and body["metadata"]["last_updated"] == last_updated


def test_streaming_series(viewer, loaded, last_updated):
    tidy = o.tidy_rows()
    per = defaultdict(int)
    for r in tidy:
        if dt.date(2025, 1, 1) <= r.date <= dt.date(2025, 8, 18):
            per[(r.date.strftime("%Y-%m"), r.source)] += r.spotify + r.apple
    body = viewer.get("/api/streaming?granularity=month&start=2025-01&group_by=source").json()
    assert body == {
        "success": True,
        "data": [{"period": m, "source": s, **NULLS, "streams": v} for (m, s), v in sorted(per.items())],
        "metadata": {
            "filters": {
                "start": "2025-01-01",
                "end": "2025-08-18",
                "artist": None,
                "isrc": None,
                "platform": None,
                "granularity": "month",
                "group_by": ["source"],
                "time_period": None,
            },
            "source": "distributor",
            "granularity": "month",
            "row_count": len(per),
            "last_updated": last_updated,
            "load_run_id": loaded.pk,
        },
    }
    # one platform, ISO weeks labelled by Monday, default start = end − 25 weeks; TooLost only
    weekly = viewer.get("/api/streaming?source=toolost&granularity=week&platform=apple_music&group_by=platform").json()
    weeks = defaultdict(int)
    for r in tidy:
        if r.source == "toolost":
            weeks[(r.date - dt.timedelta(days=r.date.weekday())).isoformat()] += r.apple
    assert weekly["data"] == [
        {"period": w, "source": "toolost", **NULLS, "platform": "apple_music", "streams": v}
        for w, v in sorted(weeks.items())
    ]
    # royalty streams by artist and Sale Month: Σ Quantity of non-negative lines
    royalty = defaultdict(int)
    for line in o.dk_lines():
        if line.earnings >= 0 and line.sale_month >= dt.date(2025, 2, 1):
            royalty[(line.sale_month.strftime("%Y-%m"), line.artist)] += line.quantity
    rows = viewer.get("/api/streaming?source=royalty&group_by=artist&start=2025-02").json()["data"]
    assert rows == [
        {"period": m, "source": "royalty", **NULLS, "artist": a, "streams": q} for (m, a), q in sorted(royalty.items())
    ]
    # the sample has no Spotify audience file: an empty series, never a 500
    assert viewer.get("/api/streaming?source=spotify_audience").json()["data"] == []


def test_financial_series(viewer, loaded, last_updated):
    months = defaultdict(lambda: {"net": Decimal(0), "gross": Decimal(0), "adj": Decimal(0), "qty": 0, "n": 0})
    for line in o.dk_lines():
        m = months[line.sale_month.strftime("%Y-%m")]
        m["net"] += line.earnings
        m["gross"] += max(line.earnings, Decimal(0))
        m["adj"] += min(line.earnings, Decimal(0))
        m["qty"] += line.quantity if line.earnings >= 0 else 0
        m["n"] += 1
    body = viewer.get("/api/financial?start=2024-08").json()
    assert body["data"] == {
        "revenue": [
            {
                "period": p,
                "artist": None,
                "isrc": None,
                "platform": None,
                "store": None,
                "country": None,
                "net_usd": o.usd(v["net"]),
                "gross_usd": o.usd(v["gross"]),
                "adjustments_usd": o.usd(v["adj"]),
                "quantity": v["qty"],
                "line_count": v["n"],
            }
            for p, v in sorted(months.items())
        ]
    }
    assert body["metadata"]["filters"]["end"] == "2025-04-30" and body["metadata"]["row_count"] == 9
    expected = defaultdict(lambda: [0, Decimal(0)])
    for r in o.tidy_rows():
        if dt.date(2025, 1, 1) <= r.date <= dt.date(2025, 5, 31):
            for platform, streams, price in (
                ("spotify", r.spotify, o.SPOTIFY_RATE),
                ("apple_music", r.apple, o.APPLE_RATE),
            ):
                expected[(r.date.strftime("%Y-%m"), platform)][0] += streams
                expected[(r.date.strftime("%Y-%m"), platform)][1] += streams * price
    body = viewer.get("/api/financial?series=expected&start=2025-01-01&end=2025-05-31&group_by=platform").json()
    assert body["data"] == {
        "expected": [
            {"period": m, "source": None, "platform": p, "streams": s, "expected_usd": o.usd(e)}
            for (m, p), (s, e) in sorted(expected.items())
        ],
    }
    assert viewer.get("/api/financial?series=expenses,revenue&start=2025-04").json()["data"]["expenses"] == []
    spend = defaultdict(Decimal)
    for r in o.ad_rows():
        spend[r["campaign_id"]] += r["spend"]
    ad = viewer.get("/api/financial?series=ad_spend&start=2025-01-01&end=2025-05-31&group_by=campaign_id").json()[
        "data"
    ]["ad_spend"]
    assert {(r["period"], r["campaign_id"]): r["spend_usd"] for r in ad} == {
        (r["date"].strftime("%Y-%m"), r["campaign_id"]): o.usd(spend[r["campaign_id"]]) for r in o.ad_rows()
    }
    assert sum(Decimal(str(r["spend_usd"])) for r in ad) == Decimal("1889.10")


def test_social_series(viewer, loaded, last_updated):
    tiktok = defaultdict(lambda: defaultdict(int))
    for r in o.tiktok_rows():
        if r["date"] >= dt.date(2025, 4, 1):
            for k in ("views", "profile_views", "likes", "comments", "shares"):
                tiktok[r["date"].strftime("%Y-%m")][k] += r[k]
    linktree = defaultdict(lambda: defaultdict(int))
    for r in o.linktree_rows():
        if r["date"] >= dt.date(2025, 4, 1):
            for k in ("views", "unique_views", "clicks", "unique_clicks"):
                linktree[r["date"].strftime("%Y-%m")][k] += r[k]
    body = viewer.get("/api/social?granularity=month&start=2025-04-01").json()
    assert body["data"] == {
        "tiktok": [
            {
                "period": p,
                "account": "pig1987",
                "artist": "PIG1987",
                "video_views": v["views"],
                "profile_views": v["profile_views"],
                "likes": v["likes"],
                "comments": v["comments"],
                "shares": v["shares"],
                "engagement_rate": o.ratio(Decimal(v["likes"] + v["comments"] + v["shares"]) / v["views"]),
                "followers": None,
            }
            for p, v in sorted(tiktok.items())
        ],
        "linktree": [
            {
                "period": p,
                "account": "bedrotprod",
                "total_views": v["views"],
                "unique_views": v["unique_views"],
                "total_clicks": v["clicks"],
                "unique_clicks": v["unique_clicks"],
                "click_through_ratio": o.ratio(Decimal(v["clicks"]) / v["views"]),
            }
            for p, v in sorted(linktree.items())
        ],
    }
    assert body["metadata"]["filters"]["end"] == "2025-05-27"
    only = viewer.get("/api/social?platform=linktree&start=2025-05-25&end=2025-05-25").json()["data"]
    assert only == {
        "linktree": [
            {
                "period": "2025-05-25",
                "account": "bedrotprod",
                "total_views": 8,
                "unique_views": 7,
                "total_clicks": 9,
                "unique_clicks": 2,
                "click_through_ratio": 1.125,
            }
        ]
    }


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
