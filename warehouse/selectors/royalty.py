"""Royalty reads (DistroKid bank details).

Summaries read royalty_monthly_agg (rebuilt inside each DK load's transaction) and royalty_isrc_agg; track-level
series read the active lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from warehouse.models import (
    Artist,
    RoyaltyIsrcAggregate,
    RoyaltyLine,
    RoyaltyMonthlyAggregate,
    Track,
    TrackArtist,
)
from warehouse.selectors.common import ZERO, Buckets


def active_lines():
    return RoyaltyLine.objects.filter(retracted_by_file__isnull=True)


def royalty_totals_get() -> dict:
    totals = RoyaltyMonthlyAggregate.objects.aggregate(
        net=Sum("earnings_usd"),
        gross=Sum("gross_usd"),
        adjustments=Sum("adjustments_usd"),
        quantity=Sum("quantity"),
        lines=Sum("line_count"),
    )
    return {
        "net": totals["net"] or ZERO,
        "gross": totals["gross"] or ZERO,
        "adjustments": totals["adjustments"] or ZERO,
        "quantity": totals["quantity"] or 0,
        "lines": totals["lines"] or 0,
    }


def royalty_months_get() -> dict[dt.date, dict]:
    """Per Sale Month: net earnings, line count, distinct raw stores (ascending by month)."""
    rows = (
        RoyaltyMonthlyAggregate.objects.values("sale_month")
        .annotate(net=Sum("earnings_usd"), lines=Sum("line_count"))
        .order_by("sale_month")
    )
    months = {row["sale_month"]: {"net": row["net"], "lines": row["lines"], "stores": []} for row in rows}
    pairs = (
        RoyaltyMonthlyAggregate.objects.values_list("sale_month", "store").distinct().order_by("sale_month", "store")
    )
    for month, store in pairs:
        months[month]["stores"].append(store)
    return months


def royalty_month_totals_get() -> dict[dt.date, Decimal]:
    """Net earnings per Sale Month (ascending): the summaries need no store detail."""
    rows = RoyaltyMonthlyAggregate.objects.values("sale_month").annotate(net=Sum("earnings_usd")).order_by("sale_month")
    return {row["sale_month"]: row["net"] for row in rows}


def royalty_artist_totals_get() -> dict[str, dict]:
    """Net earnings per artist key (canonical name, or raw text while unmapped), without store detail."""
    names = dict(Artist.objects.values_list("pk", "name"))
    result = Buckets()
    rows = RoyaltyMonthlyAggregate.objects.values("artist_id", "artist_raw").annotate(net=Sum("earnings_usd"))
    for row in rows:
        key = names.get(row["artist_id"]) or row["artist_raw"]
        result.add(key, {"net": ZERO, "mapped": row["artist_id"] is not None}, net=row["net"])
    return dict(result)


def royalty_by_artist_get() -> dict[str, dict]:
    """Keyed by canonical artist name, or the raw `Artist` text while it is unmapped."""
    result = Buckets()
    rows = (
        RoyaltyMonthlyAggregate.objects.values("artist__name", "artist_raw", "store")
        .annotate(net=Sum("earnings_usd"), quantity=Sum("quantity"), lines=Sum("line_count"))
        .order_by("artist__name", "artist_raw", "store")
    )
    for row in rows:
        entry = result.add(
            row["artist__name"] or row["artist_raw"],
            {"net": ZERO, "quantity": 0, "lines": 0, "stores": set(), "mapped": bool(row["artist__name"])},
            net=row["net"],
            quantity=row["quantity"],
            lines=row["lines"],
        )
        entry["stores"].add(row["store"])
    return dict(result)


def top_artist(by_artist: dict[str, dict]) -> str | None:
    mapped = [(entry["net"], name) for name, entry in by_artist.items() if entry["mapped"]]
    if not mapped:
        return None
    return sorted(mapped, key=lambda item: (-item[0], item[1]))[0][1]


def royalty_top_tracks_list(*, limit: int = 5) -> list[dict]:
    """The most streamed ISRCs (per-ISRC sums kept by each DK load) with title and first primary artist."""
    top = RoyaltyIsrcAggregate.objects.order_by("-streams", "isrc")
    rows = list(top.values("isrc", "streams", "revenue_usd")[:limit])
    isrcs = [r["isrc"] for r in rows]
    titles = dict(Track.objects.filter(isrc__in=isrcs).values_list("isrc", "title")) if rows else {}
    primary: dict[str, str] = {}
    if titles:  # the first primary artist of each track, in link order
        links = TrackArtist.objects.filter(track__isrc__in=isrcs, role="primary").order_by("id")
        for isrc, name in links.values_list("track__isrc", "artist__name"):
            primary.setdefault(isrc, name)
    return [
        {
            "isrc": row["isrc"],
            "title": titles.get(row["isrc"]),
            "artist": primary.get(row["isrc"]),
            "streams": row["streams"],
            "revenue_usd": row["revenue_usd"],
        }
        for row in rows
    ]
