"""Independent expectations computed straight from the sample lake's CSV files (csv + Decimal, no warehouse code),
following the contract's rules. The README's oracle figures are asserted against these first (test_oracle)."""

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings

CURATED = Path(settings.BASE_DIR) / "sample_lake" / "4_curated"
SPOTIFY_RATE, APPLE_RATE = Decimal("0.002274"), Decimal("0.005771")


def _round(value, places: str) -> float:
    return float(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def usd(value) -> float:
    return _round(value, "0.01")


def rate(value) -> float:
    return _round(value, "0.000001")


def pct(value) -> float:
    return _round(value, "0.01")


def ratio(value) -> float:
    return _round(value, "0.0001")


def _rows(name: str) -> list[dict]:
    with open(CURATED / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class DkLine:
    reporting_date: dt.date
    sale_month: dt.date
    store: str
    artist: str
    isrc: str
    quantity: int
    earnings: Decimal


def dk_lines() -> list[DkLine]:
    return [
        DkLine(
            dt.date.fromisoformat(r["Reporting Date"]),
            dt.date.fromisoformat(r["Sale Month"] + "-01"),
            r["Store"],
            r["Artist"],
            r["ISRC"],
            int(r["Quantity"]),
            Decimal(r["Earnings (USD)"]),
        )
        for r in _rows("dk_bank_details.csv")
    ]


@dataclass(frozen=True)
class TidyRow:
    date: dt.date
    source: str
    spotify: int
    apple: int
    combined: int
    is_partial: bool


def tidy_rows() -> list[TidyRow]:
    """With the contract's trailing-partial rule: a source's last date is partial when spotify is 0 and the
    previous date's is > 0."""
    raw = defaultdict(list)
    for r in _rows("tidy_daily_streams.csv"):
        raw[r["source"]].append(
            (
                dt.date.fromisoformat(r["date"]),
                int(r["spotify_streams"]),
                int(r["apple_streams"]),
                int(r["combined_streams"]),
            )
        )
    rows = []
    for source, values in raw.items():
        values.sort()
        for index, (day, spotify, apple, combined) in enumerate(values):
            partial = index == len(values) - 1 and spotify == 0 and index > 0 and values[index - 1][1] > 0
            rows.append(TidyRow(day, source, spotify, apple, combined, partial))
    return sorted(rows, key=lambda r: (r.date, r.source))


def tiktok_rows() -> list[dict]:
    return [
        {
            "date": dt.date.fromisoformat(r["date"]),
            "account": r["artist"],
            "views": int(r["Video Views"]),
            "profile_views": int(r["Profile Views"]),
            "likes": int(r["Likes"]),
            "comments": int(r["Comments"]),
            "shares": int(r["Shares"]),
        }
        for r in _rows("tiktok_analytics_curated_20250527_113822.csv")
    ]


def linktree_rows() -> list[dict]:
    return [
        {
            "date": dt.date.fromisoformat(r["date"]),
            "views": int(r["totalViews"]),
            "unique_views": int(r["uniqueViews"]),
            "clicks": int(r["totalClicks"]),
            "unique_clicks": int(r["uniqueClicks"]),
        }
        for r in _rows("linktree_analytics.csv")
    ]


def ad_rows() -> list[dict]:
    return [
        {
            "date": dt.date.fromisoformat(r["date"]),
            "campaign_id": r["campaign_id"],
            "campaign_name": r["campaign_name"],
            "spend": Decimal(r["spend_usd"]),
            "impressions": int(r["impressions"]),
            "clicks": int(r["clicks"]),
            "reach": int(float(r["reach"])),
        }
        for r in _rows("metaads/ad_performance_20250527.csv")
    ]


def campaign_summary_rows() -> list[dict]:
    return _rows("metaads/campaign_summary_20250527.csv")


def expected(spotify: int, apple: int) -> Decimal:
    return spotify * SPOTIFY_RATE + apple * APPLE_RATE


def month_of(day: dt.date) -> str:
    return day.strftime("%Y-%m")
