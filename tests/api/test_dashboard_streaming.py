"""The existing dashboard's streaming endpoints (/api/streaming/daily, /api/streaming/growth) over the sample lake:
full JSON bodies against figures computed independently from its CSV files (tests/api/oracle.py) and the README's
oracle figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.api import oracle as o

pytestmark = pytest.mark.django_db


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
