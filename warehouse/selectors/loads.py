"""Load runs (the `last_updated` stamp, health's last load) and the read-only resources; the one "latest load run"
read is warehouse/lineage.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from warehouse import lineage
from warehouse.artist_lookup import artist_by_name
from warehouse.models import Artist, LoadRun, Platform, Track
from warehouse.selectors.common import ts


@dataclass
class Stamp:
    """`last_updated` and `load_run_id` of the latest successful load, read once per response."""

    load_run_id: int | None = None
    last_updated: str | None = None

    @classmethod
    def get(cls) -> Stamp:
        run = lineage.load_run_latest_get(state="succeeded")
        return cls(run.pk, ts(run.finished_at)) if run else cls()


def load_run_last_get() -> dict | None:
    """The last load (staff changes are runs too, trigger `admin`, but health is about the loader)."""
    run = lineage.load_run_latest_get(state="started", loads_only=True)
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "started_at": ts(run.started_at),
        "finished_at": ts(run.finished_at),
        "files_loaded": run.files_loaded,
        "files_rejected": run.files_rejected,
        "rows_quarantined": run.rows_quarantined,
    }


def load_run_list():
    return LoadRun.objects.annotate(quarantined=Sum("files__rows_quarantined")).prefetch_related("files")


def artist_resolve(*, name: str) -> Artist | None:
    """A canonical name or any alias (case-insensitive, spaces collapsed) → artist; None when unknown."""
    return artist_by_name(name=name)


def artist_list():
    return Artist.objects.all()


def track_list():
    return Track.objects.prefetch_related("track_artists__artist")


def platform_list():
    return Platform.objects.all()
