"""The warehouse's series endpoints (GET /api/streaming, /api/financial, /api/social) over the sample lake: full bodies
against CSV-computed figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.api import oracle as o

pytestmark = pytest.mark.django_db
NULLS = dict.fromkeys(
    ("platform", "artist", "isrc", "spotify_track_id", "store", "country", "listeners", "followers", "savers")
)


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
