"""Per-source freshness (contract B2 `freshness`, /api/health and the page's /api/sources)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max

from warehouse.models import (
    BusinessExpense,
    DistributorDailyStream,
    LinktreeDaily,
    SourceFile,
    SpotifyAudienceDaily,
    SpotifySongMetric,
    TiktokDaily,
)
from warehouse.selectors.common import iso_day, ts
from warehouse.selectors.meta import meta_latest_data_date
from warehouse.selectors.royalty import active_lines

FRESHNESS_SOURCES = (
    "dk_bank_details",
    "distrokid_streams",
    "toolost_streams",
    "spotify_audience",
    "spotify_songs",
    "tiktok",
    "linktree",
    "metaads",
    "royalty_splits",
    "capital_one",
)
FRESHNESS_KINDS = {
    "dk_bank_details": ["dk_bank_details"],
    "distrokid_streams": ["tidy_daily_streams"],
    "toolost_streams": ["tidy_daily_streams"],
    "spotify_audience": ["spotify_audience"],
    "spotify_songs": ["spotify_song_metrics", "spotify_tracks_dimension"],
    "tiktok": ["tiktok"],
    "linktree": ["linktree"],
    "metaads": [
        "meta_campaign_summary",
        "meta_daily_performance",
        "meta_ad_performance",
        "meta_campaigns_daily",
        "meta_performance_log",
    ],
    "royalty_splits": ["royalty_splits"],
    "capital_one": ["capital_one"],
}
_MANUAL_SOURCES = {"royalty_splits", "capital_one"}


def _latest_data_dates(*, known: dict[str, dt.date | None] | None = None) -> dict[str, dt.date | None]:
    """Newest data date per freshness source; `known` holds dates the caller already read (no second query)."""
    known = known or {}
    readers = {
        "dk_bank_details": lambda: active_lines().aggregate(d=Max("reporting_date"))["d"],
        "spotify_audience": lambda: SpotifyAudienceDaily.objects.aggregate(d=Max("date"))["d"],
        "spotify_songs": lambda: SpotifySongMetric.objects.aggregate(d=Max("extraction_date"))["d"],
        "tiktok": lambda: TiktokDaily.objects.aggregate(d=Max("date"))["d"],
        "linktree": lambda: LinktreeDaily.objects.aggregate(d=Max("date"))["d"],
        "metaads": meta_latest_data_date,
        "royalty_splits": lambda: None,
        "capital_one": lambda: BusinessExpense.objects.aggregate(d=Max("date"))["d"],
    }
    if not {"distrokid_streams", "toolost_streams"} <= known.keys():
        dist = dict(DistributorDailyStream.objects.values_list("source").annotate(d=Max("date")))
        readers["distrokid_streams"] = lambda: dist.get("distrokid")
        readers["toolost_streams"] = lambda: dist.get("toolost")
    return {source: known[source] if source in known else readers[source]() for source in FRESHNESS_SOURCES}


def _stale(source: str, latest: dt.date | None, *, today: dt.date) -> bool:
    """A source that never delivered data is not stale (absent sources, like Spotify songs, are normal)."""
    if source in _MANUAL_SOURCES or latest is None:
        return False
    thresholds = settings.FRESHNESS_STALE_DAYS
    days = thresholds[source] if source in ("dk_bank_details", "spotify_songs") else thresholds["daily"]
    return latest < today - dt.timedelta(days=days)


def freshness_get(*, today: dt.date, known: dict[str, dt.date | None] | None = None) -> dict[str, dict]:
    """Per source: newest data date, last load of its files, and `stale` by the configured thresholds."""
    latest_dates = _latest_data_dates(known=known)
    files = {}
    for sf in (
        SourceFile.objects.filter(status__in=[SourceFile.Status.LOADED, SourceFile.Status.SKIPPED])
        .order_by("-loaded_at", "-id")
        .values("kind", "path", "loaded_at")
    ):
        files.setdefault(sf["kind"], sf)
    result = {}
    for source in FRESHNESS_SOURCES:
        candidates = [files[k] for k in FRESHNESS_KINDS[source] if k in files]
        newest_file = max(candidates, key=lambda f: f["loaded_at"]) if candidates else None
        latest = latest_dates[source]
        result[source] = {
            "latest_data_date": iso_day(latest),
            "last_loaded_at": ts(newest_file["loaded_at"]) if newest_file else None,
            "last_file": newest_file["path"] if newest_file else None,
            "stale": _stale(source, latest, today=today),
        }
    return result
