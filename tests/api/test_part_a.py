"""Part A (the existing dashboard's endpoints): full JSON bodies over the sample lake, against figures computed
independently from its CSV files (tests/api/oracle.py) and the README's oracle figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.api import oracle as o

pytestmark = pytest.mark.django_db


def test_oracle_matches_readme():
    """The independent CSV computations reproduce the README's published figures."""
    lines = o.dk_lines()
    assert len(lines) == 8635
    assert sum(line.earnings for line in lines) == Decimal("1587.06001527")
    assert sum(line.quantity for line in lines) == 616_709
    negative = [line for line in lines if line.earnings < 0]
    assert (len(negative), sum(line.quantity for line in negative)) == (1282, 74_178)
    tidy = o.tidy_rows()
    assert sum(r.spotify for r in tidy if r.source == "distrokid") == 976_645
    assert sum(r.combined for r in tidy if r.source == "toolost") == 100_941
    assert [(r.date, r.source) for r in tidy if r.is_partial] == [(dt.date(2025, 8, 18), "distrokid")]
    assert sum(r["spend"] for r in o.ad_rows()) == Decimal("1889.10")


def _summary_expected(last_updated: str) -> dict:
    lines = o.dk_lines()
    net = sum(line.earnings for line in lines)
    streams = sum(line.quantity for line in lines if line.earnings >= 0)
    latest_month = max(line.sale_month for line in lines)
    by_artist = defaultdict(Decimal)
    for line in lines:
        by_artist[line.artist] += line.earnings
    tidy = o.tidy_rows()
    tiktok = o.tiktok_rows()
    newest = max(r["date"] for r in tiktok)
    day = [r for r in tiktok if r["date"] == newest]
    views = sum(r["views"] for r in day)
    engaged = sum(r["likes"] + r["comments"] + r["shares"] for r in day)
    ads = o.ad_rows()
    spend, clicks = sum(r["spend"] for r in ads), sum(r["clicks"] for r in ads)
    return {
        "success": True,
        "data": {
            "total_revenue": 1587.06,
            "total_streams": 616_709 - 74_178,
            "average_revenue_per_stream": o.rate(net / streams),
            "current_month_revenue": o.usd(sum(line.earnings for line in lines if line.sale_month == latest_month)),
            "artist_count": 2,
            "top_artist": max(by_artist, key=by_artist.get),
            "distributor_breakdown": {
                source: o.usd(
                    o.expected(
                        sum(r.spotify for r in tidy if r.source == source),
                        sum(r.apple for r in tidy if r.source == source),
                    )
                )
                for source in ("distrokid", "toolost")
            },
            "last_updated": last_updated,
            "tiktok": {"video_views": views, "engagement_rate": o.ratio(Decimal(engaged) / views)},
            "marketing": {
                "total_ad_spend": 1889.10,
                "total_impressions": 5_255_985,
                "average_cpc": o.usd(spend / clicks),
                "total_clicks": 31_074,
            },
        },
        "metadata": {
            "sources": [
                "dk_bank_details.csv",
                "tidy_daily_streams.csv",
                "tiktok_analytics_curated_*.csv",
                "metaads/ad_performance_*.csv",
            ],
            "current_month": "2025-04",
            "last_updated": last_updated,
            "refresh_interval_seconds": 300,
        },
    }


def test_kpis_summary(viewer, last_updated):
    body = viewer.get("/api/kpis/summary").json()
    assert body == _summary_expected(last_updated)
    assert body["data"]["current_month_revenue"] == 15.36  # README: Sale Month 2025-04
    assert body["data"]["top_artist"] == "PIG1987"  # README: 803.45 vs 783.61


def test_kpis_realtime_goals_alerts(viewer, last_updated):
    tidy = o.tidy_rows()
    complete = defaultdict(lambda: {"spotify": 0, "apple": 0})
    for r in tidy:
        if not r.is_partial:
            complete[r.date]["spotify"] += r.spotify
            complete[r.date]["apple"] += r.apple
    current_day, previous_day = sorted(complete)[-1], sorted(complete)[-2]
    cur, prev = complete[current_day], complete[previous_day]

    def change(a, b):
        return o.pct(Decimal(a - b) * 100 / b) if b else 0.0

    realtime = viewer.get("/api/kpis/realtime/").json()
    assert realtime["data"] == {
        "current_day": {
            "date": current_day.isoformat(),
            "spotify_streams": cur["spotify"],
            "apple_streams": cur["apple"],
            "total_streams": cur["spotify"] + cur["apple"],
        },
        "daily_change": {
            "spotify": cur["spotify"] - prev["spotify"],
            "apple": cur["apple"] - prev["apple"],
            "total": cur["spotify"] + cur["apple"] - prev["spotify"] - prev["apple"],
            "spotify_percent": change(cur["spotify"], prev["spotify"]),
            "apple_percent": change(cur["apple"], prev["apple"]),
        },
    }
    assert current_day == dt.date(2025, 8, 17)  # 2025-08-18 is DistroKid's partial trailing day
    assert realtime["metadata"]["sources_included"] == ["distrokid"]
    assert realtime["metadata"]["last_updated"] == last_updated and realtime["metadata"]["is_realtime"] is False

    month_streams = sum(v["spotify"] + v["apple"] for d, v in complete.items() if (d.year, d.month) == (2025, 8))
    revenue_april = Decimal("15.36240859")  # README: Sale Month 2025-04
    goals = viewer.get("/api/kpis/goals").json()
    assert goals["data"] == {
        "monthly_revenue": {
            "target": 500.0,
            "current": 15.36,
            "progress": o.pct(revenue_april * 100 / 500),
            "status": "at_risk",
        },
        "monthly_streams": {
            "target": 200000,
            "current": month_streams,
            "progress": o.pct(Decimal(month_streams) * 100 / 200000),
            "status": "at_risk",
        },
        "spotify_followers": {"target": 10000, "current": 0, "progress": 0.0, "status": "pending"},
    }
    assert {k: goals["metadata"][k] for k in ("month", "revenue_month", "last_updated")} == {
        "month": "2025-08",
        "revenue_month": "2025-04",
        "last_updated": last_updated,
    }

    last_7 = sum(
        v["spotify"] + v["apple"] for d, v in complete.items() if current_day - dt.timedelta(6) <= d <= current_day
    )
    prev_7 = sum(
        v["spotify"] + v["apple"]
        for d, v in complete.items()
        if current_day - dt.timedelta(13) <= d <= current_day - dt.timedelta(7)
    )
    expected_alerts = [
        {"type": "revenue", "severity": "high", "message": "Revenue decreased by $321.51", "timestamp": last_updated}
    ]
    if prev_7 and (prev_7 - last_7) / prev_7 > 0.2:
        expected_alerts.append(
            {
                "type": "streaming",
                "severity": "warning",
                "timestamp": last_updated,
                "message": f"Weekly streams decreased by {(prev_7 - last_7) * 100 / prev_7:.1f}%",
            }
        )
    alerts = viewer.get("/api/kpis/alerts").json()
    assert alerts == {
        "success": True,
        "data": expected_alerts,
        "metadata": {"last_updated": last_updated, "alert_count": len(expected_alerts)},
    }


def test_revenue_distributor_and_streaming_summary(viewer, last_updated):
    tidy = o.tidy_rows()
    per = {s: [r for r in tidy if r.source == s] for s in ("distrokid", "toolost")}
    distributor = viewer.get("/api/revenue/distributor").json()
    assert distributor["data"] == {
        s: {
            "days_active": len({r.date for r in rows}),
            "total_streams": sum(r.combined for r in rows),
            "spotify_streams": sum(r.spotify for r in rows),
            "apple_streams": sum(r.apple for r in rows),
            "estimated_revenue": o.usd(o.expected(sum(r.spotify for r in rows), sum(r.apple for r in rows))),
        }
        for s, rows in per.items()
    }
    assert (
        distributor["data"]["distrokid"]["days_active"] == 361 and distributor["data"]["toolost"]["days_active"] == 107
    )
    assert distributor["metadata"]["source"] == "tidy_daily_streams.csv"

    spotify, apple = sum(r.spotify for r in tidy), sum(r.apple for r in tidy)
    days = len({r.date for r in tidy})
    summary = viewer.get("/api/streaming/summary").json()
    assert summary == {
        "success": True,
        "data": {
            "total_streams": {"spotify": spotify, "apple": apple, "combined": spotify + apple},
            "by_distributor": {
                s: {
                    "spotify": sum(r.spotify for r in rows),
                    "apple": sum(r.apple for r in rows),
                    "total": sum(r.combined for r in rows),
                    "days": len(rows),
                }
                for s, rows in per.items()
            },
            "date_range": {"start": "2024-08-23", "end": "2025-08-18", "days": days},
            "daily_average": {
                "spotify": o.usd(Decimal(spotify) / days),
                "apple": o.usd(Decimal(apple) / days),
                "combined": o.usd(Decimal(spotify + apple) / days),
            },
        },
        "metadata": {"source": "tidy_daily_streams.csv", "last_updated": last_updated},
    }


def _monthly_expected(today: dt.date, include_expected: bool = True) -> list[dict]:
    lines = o.dk_lines()
    months = defaultdict(lambda: {"net": Decimal(0), "lines": 0, "stores": set()})
    for line in lines:
        entry = months[line.sale_month]
        entry["net"] += line.earnings
        entry["lines"] += 1
        entry["stores"].add(line.store)
    streams = defaultdict(lambda: [0, 0])
    for r in o.tidy_rows():
        streams[r.date.replace(day=1)][0] += r.spotify
        streams[r.date.replace(day=1)][1] += r.apple
    items = []
    for month in sorted(set(months) | set(streams)):
        dk = months.get(month, {"net": Decimal(0), "lines": 0, "stores": set()})
        due = month + dt.timedelta(days=60)
        spotify, apple = streams.get(month, [0, 0])
        exp = o.expected(spotify, apple)
        items.append(
            {
                "month": month.strftime("%Y-%m"),
                "actual_revenue": o.usd(dk["net"]),
                "transaction_count": dk["lines"],
                "platforms": sorted(dk["stores"]),
                "expected_revenue": o.usd(exp) if include_expected else None,
                "spotify_streams": spotify if include_expected else None,
                "apple_streams": apple if include_expected else None,
                "total_streams": spotify + apple if include_expected else None,
                "variance": o.usd(dk["net"] - exp) if include_expected else None,
                # A7: paid only for a Sale Month DistroKid reported; else pending until 30 days past due, then unknown
                "payment_status": "paid"
                if dk["lines"]
                else "unknown"
                if today > due + dt.timedelta(days=30)
                else "pending",
                "expected_payment_date": due.isoformat(),
                "overdue": not dk["lines"] and today > due + dt.timedelta(days=30),
            }
        )
    return items


def test_revenue_monthly(viewer, last_updated):
    today = dt.date.today()
    body = viewer.get("/api/revenue/monthly").json()
    assert body == {
        "success": True,
        "data": _monthly_expected(today),
        "metadata": {
            "sources": ["dk_bank_details.csv", "tidy_daily_streams.csv"],
            "last_updated": last_updated,
            "payment_delay_months": 2,
            "limitations": body["metadata"]["limitations"],
        },
    }
    assert [m["month"] for m in body["data"]][0] == "2024-08" and body["data"][-1]["month"] == "2025-08"
    readme = {"2024-09": 53.33, "2024-12": 209.42, "2025-03": 336.87, "2025-04": 15.36}
    assert {m["month"]: m["actual_revenue"] for m in body["data"] if m["month"] in readme} == readme
    assert (
        viewer.get("/api/revenue/monthly/?months=3&include_expected=false").json()["data"]
        == _monthly_expected(today, include_expected=False)[-3:]
    )
    assert viewer.get("/api/revenue/monthly?include_expected=0").json()["data"][0]["variance"] is None


def test_revenue_monthly_payment_status_depends_on_reported_earnings_and_today(loaded):
    """Selector level, with `today` fixed (A7): a Sale Month DistroKid reported is paid whatever the date; a month
    with nothing reported is pending until expected_payment_date + 30 days, then unknown and overdue. Never paid
    with $0.00 reported."""
    from warehouse.selectors import revenue_monthly_list

    for today in (dt.date(2025, 5, 1), dt.date(2025, 10, 1), dt.date(2026, 12, 6)):
        items, _ = revenue_monthly_list(today=today)
        assert items == _monthly_expected(today)
        assert not [i["month"] for i in items if i["actual_revenue"] == 0 and i["payment_status"] == "paid"]
    status = {
        i["month"]: (i["payment_status"], i["overdue"]) for i in revenue_monthly_list(today=dt.date(2025, 9, 1))[0]
    }
    # 2025-05: due 2025-06-30, +30 days = 2025-07-30 < 2025-09-01; 2025-06 due 2025-07-31, +30 = 2025-08-30
    assert (status["2025-04"], status["2025-05"], status["2025-06"], status["2025-07"]) == (
        ("paid", False),
        ("unknown", True),
        ("unknown", True),
        ("pending", False),
    )
    status = {i["month"]: i["payment_status"] for i in revenue_monthly_list(today=dt.date(2025, 5, 1))[0]}
    assert (status["2025-03"], status["2025-04"], status["2025-05"]) == ("paid", "paid", "pending")


def test_revenue_platform_artist_delays_rates(viewer, last_updated):
    lines = o.dk_lines()
    stores = defaultdict(lambda: {"net": Decimal(0), "qty": 0, "n": 0})
    artists = defaultdict(lambda: {"net": Decimal(0), "qty": 0, "n": 0, "stores": set()})
    delays = defaultdict(int)
    for line in lines:
        for entry in (stores[line.store], artists[line.artist]):
            entry["net"] += line.earnings
            entry["qty"] += line.quantity if line.earnings >= 0 else 0
            entry["n"] += 1
        artists[line.artist]["stores"].add(line.store)
        delays[
            (line.reporting_date.year - line.sale_month.year) * 12 + line.reporting_date.month - line.sale_month.month
        ] += 1
    platform = viewer.get("/api/revenue/platform").json()
    assert platform["data"] == {
        store: {
            "total_revenue": o.usd(v["net"]),
            "total_streams": v["qty"],
            "revenue_per_stream": o.rate(v["net"] / v["qty"]) if v["qty"] else 0.0,
            "transaction_count": v["n"],
        }
        for store, v in stores.items()
    }
    assert platform["data"]["Spotify"]["total_revenue"] == 1339.10 and len(platform["data"]) == 16
    assert platform["metadata"]["data_quality"] == "high" and platform["metadata"]["last_updated"] == last_updated

    artist = viewer.get("/api/revenue/artist").json()
    assert artist["data"] == {
        name: {
            "total_revenue": o.usd(v["net"]),
            "total_streams": v["qty"],
            "transaction_count": v["n"],
            "platforms": sorted(v["stores"]),
            "platform_count": len(v["stores"]),
        }
        for name, v in artists.items()
    }
    assert (artist["data"]["PIG1987"]["total_revenue"], artist["data"]["ZONE A0"]["total_revenue"]) == (803.45, 783.61)
    assert artist["metadata"]["artists"] == ["PIG1987", "ZONE A0"]

    total = sum(delays.values())
    body = viewer.get("/api/revenue/delays").json()
    assert body["data"] == {
        "average_delay_months": o.pct(Decimal(sum(k * v for k, v in delays.items())) / total),
        "most_common_delay_months": 2,
        "delay_distribution": {
            str(k): {"count": delays[k], "percentage": o.pct(Decimal(delays[k] * 100) / total)} for k in sorted(delays)
        },
        "total_transactions_analyzed": 8635,
    }
    assert body["data"]["delay_distribution"]["2"]["count"] == 6080  # contract A9 reference

    assert viewer.get("/api/revenue/rps-rates").json()["data"] == {
        "spotify": 0.002274,
        "apple_music": 0.005771,
        "apple": 0.005771,
        "youtube": 0.001,
        "tidal": 0.0125,
        "amazon": 0.004,
        "default": 0.002486,
    }


def test_streaming_daily(viewer, last_updated):
    tidy = o.tidy_rows()
    complete = max(r.date for r in tidy if not r.is_partial)  # A11: L = the latest complete date

    def rows(days, source=None, *, end=complete, partial=False):
        window = [
            r for r in tidy if end - dt.timedelta(days=days - 1) <= r.date <= end and (partial or not r.is_partial)
        ]
        if source in ("distrokid", "toolost"):
            window = [r for r in window if r.source == source]
        return [
            {
                "date": r.date.isoformat(),
                "spotify_streams": r.spotify,
                "apple_streams": r.apple,
                "combined_streams": r.combined,
                "source": r.source,
                "is_partial": r.is_partial,
            }
            for r in window
        ]

    def metadata(days, returned, excluded):
        return {
            "source": "tidy_daily_streams.csv",
            "days_requested": days,
            "days_returned": returned,
            "partial_days_excluded": excluded,
            "last_updated": last_updated,
            "limitations": ["No artist-level detail available", "Aggregated from multiple distributors"],
        }

    body = viewer.get("/api/streaming/daily?days=30").json()
    assert body == {"success": True, "data": rows(30), "metadata": metadata(30, 30, 1)}
    assert body["data"][-1] == {
        "date": "2025-08-17",
        "spotify_streams": 3697,
        "apple_streams": 34,
        "combined_streams": 3731,
        "source": "distrokid",
        "is_partial": False,
    }
    with_partial = viewer.get("/api/streaming/daily?days=30&include_partial=true").json()
    newest = dt.date(2025, 8, 18)
    assert with_partial == {
        "success": True,
        "data": rows(30, end=newest, partial=True),
        "metadata": metadata(30, 30, 0),
    }
    assert with_partial["data"][-1] == {
        "date": "2025-08-18",
        "spotify_streams": 0,
        "apple_streams": 5,
        "combined_streams": 5,
        "source": "distrokid",
        "is_partial": True,
    }
    assert viewer.get("/api/streaming/daily?include_partial=maybe").status_code == 400
    # 120 days reach back into TooLost's window: dates ascending, distrokid before toolost on the same date
    long = viewer.get("/api/streaming/daily/?days=120").json()["data"]
    assert long == rows(120) and long[0]["date"] == "2025-04-20" and long[1]["source"] == "toolost"
    summed = viewer.get("/api/streaming/daily?days=120&source=all").json()["data"]
    per_date = defaultdict(lambda: [0, 0])
    for r in rows(120):
        per_date[r["date"]][0] += r["spotify_streams"]
        per_date[r["date"]][1] += r["apple_streams"]
    assert summed == [
        {
            "date": d,
            "spotify_streams": s,
            "apple_streams": a,
            "combined_streams": s + a,
            "source": "all",
            "is_partial": False,
        }
        for d, (s, a) in sorted(per_date.items())
    ]
    assert viewer.get("/api/streaming/daily?days=120&source=toolost").json()["data"] == rows(120, "toolost")


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly"])
def test_streaming_growth(viewer, last_updated, period):
    buckets: dict[str, list[int]] = {}
    for r in o.tidy_rows():
        if r.is_partial:
            continue
        key = {"daily": r.date.isoformat(), "weekly": r.date.strftime("%Y-W%U"), "monthly": r.date.strftime("%Y-%m")}[
            period
        ]
        bucket = buckets.setdefault(key, [0, 0])
        bucket[0] += r.spotify
        bucket[1] += r.apple
    keys = sorted(buckets, key=lambda k: k)
    expected = []
    for i, key in enumerate(keys):
        s, a = buckets[key]
        ps, pa = buckets[keys[i - 1]] if i else (0, 0)

        def g(cur, prev):
            return o.pct(Decimal(cur - prev) * 100 / prev) if prev else 0.0

        expected.append(
            {
                "period": key,
                "spotify_streams": s,
                "apple_streams": a,
                "total_streams": s + a,
                "growth": {"spotify": g(s, ps), "apple": g(a, pa), "total": g(s + a, ps + pa)},
            }
        )
    body = viewer.get(f"/api/streaming/growth?period={period}").json()
    assert body == {
        "success": True,
        "data": expected[-12:],
        "metadata": {"period": period, "partial_last_period": period != "daily", "last_updated": last_updated},
    }
