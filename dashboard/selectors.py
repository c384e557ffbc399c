"""Reads for the figures the warehouse's own page shows that no other endpoint served: per-source lineage
(rejected files, quarantined rows) and each Meta campaign next to the account's streams around it.

Both are served by the API (`GET /api/sources`, `GET /api/campaigns/streams`, docs/API.md); the page only
formats what they return.
"""

import datetime as dt

from django.db.models import Count, Max, Sum

from warehouse.models import DistributorDailyStream, QuarantinedRow, SourceFile
from warehouse.selectors import FRESHNESS_KINDS, FRESHNESS_SOURCES, Stamp, campaign_list, change_pct, freshness_get


def _latest_records_by_path() -> dict[tuple[str, str], dict]:
    """The newest source_file record per (kind, path), and the newest one that read the file (loaded or rejected):
    a skipped record (same sha256 as before) carries no quarantine of its own."""
    newest: dict[tuple[str, str], dict] = {}
    newest_read: dict[tuple[str, str], int] = {}
    rows = SourceFile.objects.exclude(status=SourceFile.Status.IGNORED).order_by("-id")
    for row in rows.values("id", "kind", "path", "status"):
        key = (row["kind"], row["path"])
        newest.setdefault(key, row)
        if row["status"] != SourceFile.Status.SKIPPED:
            newest_read.setdefault(key, row["id"])
    return {key: {**row, "read_id": newest_read.get(key)} for key, row in newest.items()}


def source_health_list(*, today: dt.date) -> tuple[dict, dict]:
    """Per freshness source (contract B2): the B2 freshness fields plus, per curated kind, how many of its files
    are rejected in their newest version and how many rows their newest read quarantined."""
    freshness = freshness_get(today=today)
    records = _latest_records_by_path()
    read_ids = [r["read_id"] for r in records.values() if r["read_id"]]
    quarantined = (
        dict(
            QuarantinedRow.objects.filter(source_file_id__in=read_ids)
            .values_list("source_file_id")
            .annotate(n=Count("id"))
        )
        if read_ids
        else {}
    )
    by_kind: dict[str, dict] = {}
    for (kind, _path), record in records.items():
        counts = by_kind.setdefault(kind, {"files": 0, "files_rejected": 0, "rows_quarantined": 0})
        counts["files"] += 1
        counts["files_rejected"] += record["status"] == SourceFile.Status.REJECTED
        counts["rows_quarantined"] += quarantined.get(record["read_id"], 0)
    data = {}
    for source in FRESHNESS_SOURCES:
        kinds = {kind: by_kind[kind] for kind in FRESHNESS_KINDS[source] if kind in by_kind}
        data[source] = {
            **freshness[source],
            "files_rejected": sum(k["files_rejected"] for k in kinds.values()),
            "rows_quarantined": sum(k["rows_quarantined"] for k in kinds.values()),
            "kinds": kinds,
        }
    stamp = Stamp.get()
    return data, {"load_run_id": stamp.load_run_id, "last_updated": stamp.last_updated}


def _streams_between(totals: dict[dt.date, int], start: dt.date, end: dt.date) -> tuple[int, int]:
    days = [totals[d] for d in totals if start <= d <= end]
    return sum(days), len(days)


def campaign_streams_list() -> tuple[list, dict]:
    """Every campaign of `GET /api/campaigns` (spend, CPC, CTR as served there) with the account's distributor
    streams (all sources, complete days) inside the campaign's window and in the same number of days before it.

    Account-level streams: the distributor files carry no track, so this is context, not attribution."""
    campaigns, _ = campaign_list()
    if campaigns:
        first = min(dt.date.fromisoformat(c["first_date"]) for c in campaigns)
        last = max(dt.date.fromisoformat(c["last_date"]) for c in campaigns)
        span = max(
            (dt.date.fromisoformat(c["last_date"]) - dt.date.fromisoformat(c["first_date"])).days + 1 for c in campaigns
        )
        rows = (
            DistributorDailyStream.objects.filter(
                is_partial=False, date__gte=first - dt.timedelta(days=span), date__lte=last
            )
            .values("date")
            .annotate(total=Sum("combined_streams"))
        )
        totals = {r["date"]: r["total"] for r in rows}
    items = []
    for campaign in campaigns:
        start, end = dt.date.fromisoformat(campaign["first_date"]), dt.date.fromisoformat(campaign["last_date"])
        days = (end - start).days + 1
        before_start, before_end = start - dt.timedelta(days=days), start - dt.timedelta(days=1)
        during, during_days = _streams_between(totals, start, end)
        before, before_days = _streams_between(totals, before_start, before_end)
        items.append(
            {
                **{
                    key: campaign[key]
                    for key in (
                        "campaign_id",
                        "campaign_name",
                        "artist",
                        "track_title",
                        "status",
                        "first_date",
                        "last_date",
                        "spend_usd",
                        "impressions",
                        "clicks",
                        "cpc_usd",
                        "ctr_pct",
                        "data_basis",
                    )
                },
                "window_days": days,
                "streams_during": during,
                "days_with_streams_during": during_days,
                "before_start": before_start.isoformat(),
                "before_end": before_end.isoformat(),
                "streams_before": before,
                "days_with_streams_before": before_days,
                # Only when both windows are fully covered: a missing day would read as a fall or a rise.
                "streams_change_pct": change_pct(during, before) if during_days == before_days == days else None,
            }
        )
    stamp = Stamp.get()
    newest = DistributorDailyStream.objects.filter(is_partial=False).aggregate(d=Max("date"))["d"]
    metadata = {
        "streams_source": "distributor (distrokid + toolost), complete days",
        "streams_through": newest.isoformat() if newest else None,
        "load_run_id": stamp.load_run_id,
        "last_updated": stamp.last_updated,
    }
    return items, metadata
