"""Part A revenue endpoints (A6–A10): per distributor, per month, per store, per artist, delays, rates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Sum

from warehouse.models import RoyaltyDelayAggregate, RoyaltyMonthlyAggregate
from warehouse.selectors.common import (
    ZERO,
    div,
    expected_revenue,
    iso_day,
    iso_month,
    revenue_rates_get,
)
from warehouse.selectors.distributor import dist_by_source, dist_months
from warehouse.selectors.loads import Stamp
from warehouse.selectors.royalty import royalty_by_artist_get, royalty_months_get

PAYMENT_DELAY_DAYS = 60
PAYMENT_GRACE_DAYS = 30  # A7: after expected_payment_date + 30 days, an unreported month is overdue


def revenue_distributor_get() -> tuple[dict, dict]:
    """A6: exactly `distrokid` and `toolost` (the pie chart labels every other key TooLost)."""
    rates = revenue_rates_get()
    data = {
        source: {
            "days_active": v["days"],
            "total_streams": v["combined"],
            "spotify_streams": v["spotify"],
            "apple_streams": v["apple"],
            "estimated_revenue": expected_revenue(v["spotify"], v["apple"], rates),
        }
        for source, v in dist_by_source().items()
    }
    metadata = {
        "source": "tidy_daily_streams.csv",
        "calculation_method": f"spotify_streams x {rates['spotify']} + apple_streams x {rates['apple_music']} "
        f"(rates dated {settings.REVENUE_RATES_DATE})",
        "last_updated": Stamp.get().last_updated,
        "limitations": [
            "Estimated from per-stream rates, not reported revenue",
            "TooLost has no revenue data: its revenue is always an estimate",
            "Account-level streams: no artist or track detail",
        ],
    }
    return data, metadata


def _monthly_item(month: dt.date, dk: dict, *, today: dt.date) -> dict:
    due = month + dt.timedelta(days=PAYMENT_DELAY_DAYS)
    overdue = not dk["lines"] and today > due + dt.timedelta(days=PAYMENT_GRACE_DAYS)
    return {
        "month": iso_month(month),
        "actual_revenue": dk["net"],
        "transaction_count": dk["lines"],
        "platforms": sorted(dk["stores"]),
        "expected_revenue": None,
        "spotify_streams": None,
        "apple_streams": None,
        "total_streams": None,
        "variance": None,
        # A7: paid only when DistroKid reported that Sale Month; money expected and not reported → unknown.
        "payment_status": "paid" if dk["lines"] else "unknown" if overdue else "pending",
        "expected_payment_date": iso_day(due),
        "overdue": overdue,
    }


def revenue_monthly_list(
    *, today: dt.date, include_expected: bool = True, months: int | None = None
) -> tuple[list, dict]:
    """A7: one item per month in the union of DK Sale Months and calendar months of distributor streams."""
    royalty = royalty_months_get()
    streams = dist_months()
    rates = revenue_rates_get()
    items = []
    for month in sorted(set(royalty) | set(streams)):
        dk = royalty.get(month, {"net": ZERO, "lines": 0, "stores": []})
        item = _monthly_item(month, dk, today=today)
        if include_expected:
            s = streams.get(month, {"spotify": 0, "apple": 0})
            expected = expected_revenue(s["spotify"], s["apple"], rates)
            item.update(
                {
                    "expected_revenue": expected,
                    "spotify_streams": s["spotify"],
                    "apple_streams": s["apple"],
                    "total_streams": s["spotify"] + s["apple"],
                    "variance": dk["net"] - expected,
                }
            )
        items.append(item)
    if months:
        items = items[-months:]
    metadata = {
        "sources": ["dk_bank_details.csv", "tidy_daily_streams.csv"],
        "last_updated": Stamp.get().last_updated,
        "payment_delay_months": 2,
        "limitations": [
            "actual_revenue is by Sale Month; DistroKid reports arrive 1-7 months late, so recent months grow",
            "expected_revenue is an estimate from distributor streams x per-stream rates",
            "Distributor streams cover only the windows the distributors export",
        ],
    }
    return items, metadata


def revenue_platform_get() -> tuple[dict, dict]:
    """A8 platform: keyed by the raw DK `Store`."""
    rows = (
        RoyaltyMonthlyAggregate.objects.values("store")
        .annotate(net=Sum("earnings_usd"), quantity=Sum("quantity"), lines=Sum("line_count"))
        .order_by("-net", "store")
    )
    data = {
        row["store"]: {
            "total_revenue": row["net"],
            "total_streams": row["quantity"],
            "revenue_per_stream": div(row["net"], row["quantity"]),
            "transaction_count": row["lines"],
        }
        for row in rows
    }
    metadata = {
        "source": "dk_bank_details.csv",
        "last_updated": Stamp.get().last_updated,
        "data_quality": "high",
        "limitations": [
            "Keyed by the raw DistroKid Store value",
            "Revenue includes negative adjustment lines; streams exclude them",
        ],
    }
    return data, metadata


def revenue_artist_get() -> tuple[dict, dict]:
    """A8 artist: keyed by canonical name, or by the raw `Artist` text while unmapped."""
    by_artist = royalty_by_artist_get()
    data = {
        name: {
            "total_revenue": entry["net"],
            "total_streams": entry["quantity"],
            "transaction_count": entry["lines"],
            "platforms": sorted(entry["stores"]),
            "platform_count": len(entry["stores"]),
        }
        for name, entry in sorted(by_artist.items(), key=lambda item: (-item[1]["net"], item[0]))
    }
    metadata = {
        "source": "dk_bank_details.csv",
        "last_updated": Stamp.get().last_updated,
        "artists": sorted(data),
        "limitations": [
            "Unmapped DistroKid artist names appear as delivered until staff map them",
            "Revenue includes negative adjustment lines; streams exclude them",
        ],
    }
    return data, metadata


def revenue_delays_get() -> tuple[dict, dict]:
    """A9: delay in months from Sale Month to Reporting Date, over active lines."""
    counts: dict[int, int] = defaultdict(int)
    for sale, reported, lines in RoyaltyDelayAggregate.objects.values_list(
        "sale_month", "reporting_month", "line_count"
    ):
        counts[(reported.year - sale.year) * 12 + reported.month - sale.month] += lines
    total = sum(counts.values())
    if total == 0:
        data = {"average_delay_months": 0, "most_common_delay_months": 0, "delay_distribution": {}}
    else:
        data = {
            "average_delay_months": div(sum(k * v for k, v in counts.items()), total),
            "most_common_delay_months": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0],
            "delay_distribution": {
                str(k): {"count": counts[k], "percentage": div(counts[k] * 100, total)} for k in sorted(counts)
            },
            "total_transactions_analyzed": total,
        }
    metadata = {
        "source": "dk_bank_details.csv",
        "last_updated": Stamp.get().last_updated,
        "description": "Months from Sale Month to Reporting Date: (reporting year - sale year) x 12 + "
        "(reporting month - sale month), over active lines.",
    }
    return data, metadata


def revenue_rps_rates_get() -> tuple[dict, dict]:
    """A10: the per-stream rate table (configurable through REVENUE_RATES)."""
    data = revenue_rates_get()
    metadata = {
        "description": "Per-stream rates used to estimate expected revenue from distributor streams",
        "source": "BEDROT rate table (curated-zone contract §5); override with REVENUE_RATES",
        "last_updated": settings.REVENUE_RATES_DATE,
    }
    return data, metadata
