"""Part B series: the shared rules of every series endpoint (contract B1): periods, ranges and caps, the
filters, the dimension check and the metadata."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from warehouse import clock
from warehouse.models import Artist, Platform
from warehouse.selectors.common import BadParameter, add_months, iso_day
from warehouse.selectors.loads import Stamp
from warehouse.selectors.royalty import active_lines

GRANULARITIES = ("day", "week", "month")
RANGE_CAPS = {"day": 731, "week": 260, "month": 120}
# group_by dimension → royalty_line lookup (B3 royalty, B4 revenue)
ROYALTY_DIMENSIONS = {
    "artist": "artist__name",
    "isrc": "isrc",
    "platform": "platform__slug",
    "store": "store",
    "country": "country_id",
}


def period_label(day: dt.date, granularity: str) -> str:
    if granularity == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()  # ISO week labelled by its Monday
    if granularity == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _period_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def series_range(*, start: dt.date | None, end: dt.date | None, newest: dt.date | None, granularity: str):
    """Resolve the B1 defaults and caps: end = newest date of the source, start = end − 89 d / 25 w / 11 m."""
    end = end or newest or clock.today()
    if start is None:
        if granularity == "day":
            start = end - dt.timedelta(days=89)
        elif granularity == "week":
            start = _period_start(end, "week") - dt.timedelta(weeks=25)
        else:
            start = add_months(end.replace(day=1), -11)
    if start > end:
        raise BadParameter("start", f"start {start} must be on or before end {end}")
    first, last = _period_start(start, granularity), _period_start(end, granularity)
    if granularity == "day":
        periods = (last - first).days + 1
    elif granularity == "week":
        periods = (last - first).days // 7 + 1
    else:
        periods = (last.year - first.year) * 12 + last.month - first.month + 1
    if periods > RANGE_CAPS[granularity]:
        raise BadParameter(
            "start", f"range of {periods} {granularity} periods exceeds the cap of {RANGE_CAPS[granularity]}"
        )
    return start, end


@dataclass
class SeriesFilters:
    start: dt.date | None = None
    end: dt.date | None = None
    artist: Artist | None = None
    isrc: str | None = None
    platform: Platform | None = None
    granularity: str | None = None
    group_by: list[str] = field(default_factory=list)

    def resolved(self, start: dt.date, end: dt.date, granularity: str, **extra) -> dict:
        return {
            "start": iso_day(start),
            "end": iso_day(end),
            "artist": self.artist.name if self.artist else None,
            "isrc": self.isrc,
            "platform": self.platform.slug if self.platform else None,
            "granularity": granularity,
            "group_by": self.group_by,
            **extra,
        }


def check_dimensions(filters: SeriesFilters, *, source: str, available: set[str]) -> None:
    for name in filters.group_by:
        if name not in available:
            raise BadParameter("group_by", f'dimension "{name}" not available for source "{source}"')
    for name, value in (("artist", filters.artist), ("isrc", filters.isrc), ("platform", filters.platform)):
        if value is not None and name not in available:
            raise BadParameter(name, f'dimension "{name}" not available for source "{source}"')


def series_metadata(*, filters: dict, source: str, granularity: str, row_count: int) -> dict:
    """The `metadata` of every series endpoint (contract B1)."""
    stamp = Stamp.get()
    return {
        "filters": filters,
        "source": source,
        "granularity": granularity,
        "row_count": row_count,
        "last_updated": stamp.last_updated,
        "load_run_id": stamp.load_run_id,
    }


def streams_by_platform(row: dict, platforms: list[str]) -> list[tuple[str, int]]:
    """A distributor row's streams per platform slug (the row holds spotify_streams and apple_streams)."""
    return [(p, row["spotify_streams"] if p == "spotify" else row["apple_streams"]) for p in platforms]


def platform_slugs(filters: SeriesFilters) -> list[str]:
    """The distributor platforms a series covers: both, or the one `platform` names."""
    return [p for p in ("spotify", "apple_music") if not filters.platform or p == filters.platform.slug]


def royalty_lines_filtered(filters: SeriesFilters):
    """The active royalty lines the artist, isrc and platform filters select."""
    qs = active_lines()
    if filters.artist:
        qs = qs.filter(artist=filters.artist)
    if filters.isrc:
        qs = qs.filter(isrc=filters.isrc)
    if filters.platform:
        qs = qs.filter(platform=filters.platform)
    return qs
