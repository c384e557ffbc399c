"""Reads for the staff admin: what needs attention on the index page, and what the unmatched-names page shows
beside each name (its current attribution, the money behind it, the closest existing artists, platforms, tracks)."""

import datetime as dt
import difflib
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from warehouse import lineage
from warehouse.models import (
    Artist,
    ArtistAlias,
    Campaign,
    CampaignToken,
    Platform,
    RoyaltyMonthlyAggregate,
    SourceFile,
    StoreAlias,
    Track,
    normalize_alias,
)
from warehouse.selectors import CAMPAIGN_REVIEW_STATUSES, freshness_get

RECENT_LOAD_RUNS = 5
SUGGESTIONS = 3


def admin_attention_get(*, today: dt.date) -> dict:
    """The index page's first block: unmatched names by kind, problem files of the last loads, stale sources."""
    runs = list(lineage.load_runs_newest_first(loads_only=True).values_list("id", flat=True)[:RECENT_LOAD_RUNS])
    problem_files = (
        SourceFile.objects.filter(load_run_id__in=runs)
        .filter(Q(status=SourceFile.Status.REJECTED) | Q(rows_quarantined__gt=0))
        .order_by("-load_run_id", "path")
    )
    freshness = freshness_get(today=today)
    counts = [
        (ArtistAlias.objects.filter(artist__isnull=True).count(), "artist name", "artist names"),
        (StoreAlias.objects.filter(platform__isnull=True).count(), "store name", "store names"),
        (CampaignToken.objects.filter(needs_review=True).count(), "campaign title", "campaign titles"),
        (
            Campaign.objects.filter(parse_status__in=CAMPAIGN_REVIEW_STATUSES, is_override=False).count(),
            "campaign",
            "campaigns",
        ),
    ]
    return {
        "unmatched": [{"count": n, "label": f"{n} {one if n == 1 else many}"} for n, one, many in counts],
        "recent_runs": len(runs),
        "problem_files": list(problem_files.select_related("load_run")),
        "stale_sources": [{"source": source, **info} for source, info in sorted(freshness.items()) if info["stale"]],
    }


def _closest(name: str, candidates: dict[str, object]) -> list:
    """Up to SUGGESTIONS distinct candidates whose normalized name (or alias) is closest to `name` (difflib ratio
    ≥ 0.4), closest first."""
    keys = difflib.get_close_matches(normalize_alias(name), list(candidates), n=len(candidates), cutoff=0.4)
    found = []
    for key in keys:
        if candidates[key] not in found:
            found.append(candidates[key])
    return found[:SUGGESTIONS]


def unmatched_rows_get(*, queues: dict) -> dict:
    """Each queued name with what it counts as now and the closest existing names (pre-selected: the first).

    `queues` is `selectors.unmatched_name_list()`. An unmatched artist or store name keeps its loaded royalty lines
    under the raw name: per-artist and per-platform revenue show them as delivered until staff map them."""
    by_raw: dict[str, dict] = defaultdict(lambda: {"lines": 0, "earnings": Decimal(0)})
    for raw, lines, earnings in (
        RoyaltyMonthlyAggregate.objects.filter(artist__isnull=True)
        .values("artist_raw")
        .annotate(lines=Sum("line_count"), earnings=Sum("earnings_usd"))
        .values_list("artist_raw", "lines", "earnings")
    ):
        entry = by_raw[normalize_alias(raw)]
        entry["lines"] += lines
        entry["earnings"] += earnings or 0
    by_store = {
        store: {"lines": lines, "earnings": earnings or Decimal(0)}
        for store, lines, earnings in RoyaltyMonthlyAggregate.objects.filter(platform__isnull=True)
        .values("store")
        .annotate(lines=Sum("line_count"), earnings=Sum("earnings_usd"))
        .values_list("store", "lines", "earnings")
    }
    artists = {normalize_alias(a.name): a for a in Artist.objects.all()}
    for alias in ArtistAlias.objects.filter(artist__isnull=False).select_related("artist"):
        artists.setdefault(alias.alias_key, alias.artist)
    platforms = {normalize_alias(p.name): p for p in Platform.objects.all()}
    tracks = {normalize_alias(t.title): t for t in Track.objects.all()}
    none = {"lines": 0, "earnings": Decimal(0)}
    return {
        "artist_alias_rows": [
            {"obj": alias, **by_raw.get(alias.alias_key, none), "suggestions": _closest(alias.alias, artists)}
            for alias in queues["artist_aliases"]
        ],
        "store_alias_rows": [
            {"obj": store, **by_store.get(store.store, none), "suggestions": _closest(store.store, platforms)}
            for store in queues["store_aliases"]
        ],
        "campaign_token_rows": [
            {"obj": token, "suggestions": _closest(token.token, tracks)} for token in queues["campaign_tokens"]
        ],
        "campaign_rows": [
            {"obj": campaign, "suggestions": _closest(campaign.parsed_track_text or campaign.name, tracks)}
            for campaign in queues["campaigns"]
        ],
    }


def sale_months_list() -> list[dt.date]:
    """The Sale Months that have active royalty lines, from the monthly aggregate."""
    return list(RoyaltyMonthlyAggregate.objects.order_by("sale_month").values_list("sale_month", flat=True).distinct())
