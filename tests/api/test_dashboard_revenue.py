"""The existing dashboard's revenue endpoints (/api/revenue/*, /api/streaming/summary) over the sample lake: full JSON
bodies against figures computed independently from its CSV files (tests/api/oracle.py) and the README's oracle
figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from api.bodies import MONTHLY
from api.fields import shape
from tests.api import oracle as o

pytestmark = pytest.mark.django_db


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
        items = shape(MONTHLY, revenue_monthly_list(today=today)[0])  # as the API serves it
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
