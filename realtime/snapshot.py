"""The KPI snapshot that `update` frames carry: `GET /api/kpis` `data`, computed once per event per process."""

import datetime as dt
import itertools
import json
import time
from dataclasses import dataclass, field

from django.utils import timezone

from api.bodies import KPIS
from api.fields import shape
from warehouse import clock, lineage, selectors
from warehouse.models import LoadRun

TOPICS = ("streaming", "financial", "social", "marketing", "growth", "goals", "alerts")
ALIASES = {"streams": "streaming", "revenue": "financial"}
ALL_TOPICS_NAME = "kpis"
ALWAYS_SENT = ("as_of", "freshness")

_sequence = itertools.count(1)


def timestamp(moment: dt.datetime | None = None) -> str:
    """ISO 8601 UTC with a Z, second precision, as the contract writes timestamps."""
    moment = (moment or timezone.now()).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Snapshot:
    load_run_id: int | None
    generated_at: str
    data: dict  # JSON-ready (numbers, not Decimal)
    order: tuple[int, int]  # (load_run_id, sequence): newer snapshots compare greater
    restored: bool = False  # the run is a restore_db: clients refetch everything, not only the KPIs
    created: float = field(default_factory=time.monotonic)
    _frames: dict = field(default_factory=dict, repr=False)

    def frame(self, topics: frozenset[str]) -> str:
        """The `update` frame text for one subscription set, serialised once per set, not once per client."""
        text = self._frames.get(topics)
        if text is None:
            data = {key: value for key, value in self.data.items() if key in ALWAYS_SENT or key in topics}
            data["load_run_id"] = self.load_run_id
            data["generated_at"] = self.generated_at
            if self.restored:
                data["restored"] = True
            text = json.dumps({"type": "update", "data": data}, separators=(",", ":"))
            self._frames[topics] = text
        return text


def latest_committed_load_run_id() -> int | None:
    """The newest finished load run that changed rows: the run an update without an event stands for."""
    return lineage.load_runs_newest_first(changed_rows=True).values_list("id", flat=True).first()


def snapshot_compute(*, load_run_id: int | None) -> Snapshot:
    """Sync (run it through database_sync_to_async). `load_run_id=None` means "the latest committed run"."""
    if load_run_id is None:
        load_run_id = latest_committed_load_run_id()
    restored = bool(load_run_id) and LoadRun.objects.filter(pk=load_run_id, options__has_key="restored_from").exists()
    # Shaped by the description `GET /api/kpis` uses, so both payloads are identical.
    data = shape(KPIS, selectors.kpis_get(today=clock.today()))
    return Snapshot(
        load_run_id=load_run_id,
        generated_at=timestamp(),
        data=data,
        order=(load_run_id or 0, next(_sequence)),
        restored=restored,
    )
