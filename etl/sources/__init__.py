"""The registry of curated kinds and the declarative spec each kind module fills in.

One module per kind in this package (`etl/sources/<kind>.py`) builds a `SourceSpec` and calls `register(spec)`.
Every module here is imported by `registry()`, so adding a kind is adding a file. The shared pipeline
(`etl.pipeline`) does everything else: discovery, order, hashing, reading, validation, duplicates, the bad-row
threshold, the per-file transaction and the merge. See docs/LOADER.md for the spec with worked examples.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from etl.validation import Parser

if TYPE_CHECKING:
    from etl.pipeline import Batch, LoadContext
    from etl.readers import CsvFile

# Contract §1.1 "Order within a run". Dimensions before the facts that reference them.
KIND_ORDER = (
    "royalty_splits",
    "dk_bank_details",
    "spotify_tracks_dimension",
    "spotify_song_metrics",
    "tidy_daily_streams",
    "spotify_audience",
    "tiktok",
    "linktree",
    "meta_campaign_summary",
    "meta_campaigns_daily",
    "meta_daily_performance",
    "meta_ad_performance",
    "meta_performance_log",
    "meta_kpi_summary",
    "capital_one",
)

# Name timestamps (contract §1.1): `<ts>` = YYYYMMDD_HHMMSS, Meta files YYYYMMDD.
TS = r"(?P<ts>\d{8}_\d{6})"
TS_DAY = r"(?P<ts>\d{8})"

SQL_TYPES = ("text", "int", "date", "bool", "json")  # json: serialised text in the batch (JSONField targets)


@dataclass(frozen=True)
class Column:
    """One CSV column: exact header name → stage field, parsed by `parse`. Optional columns may be absent."""

    header: str
    field: str
    parse: Parser
    required: bool = True


@dataclass(frozen=True)
class Variant:
    """One header layout. A file matches the first variant whose required columns are all present."""

    name: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    patterns: tuple[str, ...]
    """Regexes, full-matched against the POSIX path relative to the curated root (`metaads/…` for Meta). An
    optional `ts` group is the name timestamp (orders copies: oldest first, the newest wins)."""
    variants: tuple[Variant, ...]
    table: str
    """Target fact table; empty for kinds that load only master data in `transform` or are never loaded."""
    fields: dict[str, str] = field(default_factory=dict)
    """Target columns written by the merge (db column names, e.g. `platform_id`) → SQL type (`SQL_TYPES`).
    `transform` must leave a Batch column for each. Lineage (`load_run_id`, `source_file_id`, `source_line`) is
    added by the pipeline."""
    key: tuple[str, ...] = ()
    """Natural key (target columns, with a unique constraint): in-file duplicates and ON CONFLICT."""
    merge: str = "upsert"
    """`upsert` (by key, never deletes) or `rowhash` (insert by (row_hash, occurrence), e.g. bank exports)."""
    hash_fields: tuple[str, ...] = ()
    """`rowhash`: the normalised fields whose sha256 (+ occurrence) is the identity; fills `row_hash`/`occurrence`."""
    transform: Callable[[LoadContext, Batch], None] | None = None
    """Runs inside the file's transaction after validation: master-data resolution, derived fields, and
    `batch.flag(...)` to quarantine rows. It may write master data (aliases, tracks) through warehouse.services."""
    upsert: Callable[[LoadContext], tuple[int, int, int]] | None = None
    """Replaces the generic merge of the stage (e.g. tidy windows ranked by as-of): drops the stage and returns
    (inserted, updated, unchanged)."""
    stream: Callable[[LoadContext, CsvFile, Variant, dict[str, int]], Batch] | None = None
    """A kind too large to hold in memory (the DK snapshot): inside the file's transaction it reads, validates,
    transforms and merges the file chunk by chunk, sets ctx.rows_read / inserted / updated / unchanged / retracted,
    and returns a Batch of the rows to quarantine. `transform`, `guard` and the generic merge are then unused."""
    guard: Callable[[LoadContext, Batch], None] | None = None
    """File-level checks after validation, before any write (raise FileRejected)."""
    snapshot: bool = False
    """Full snapshot: only the *active* (latest loaded) file's sha256 is skipped; an earlier snapshot seen again
    goes through the guards (and is rejected stale)."""
    not_loaded: bool = False
    """A kind the contract names but never loads (reported `ignored`)."""

    def __post_init__(self):
        for name, sql_type in self.fields.items():
            if sql_type not in SQL_TYPES:
                raise ValueError(f"{self.kind}.{name}: unknown SQL type {sql_type!r}")
        if self.merge not in ("upsert", "rowhash"):
            raise ValueError(f"{self.kind}: unknown merge mode {self.merge!r}")

    @property
    def order(self) -> int:
        return KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else len(KIND_ORDER)

    def match(self, relative: str) -> re.Match | None:
        for pattern in self.patterns:
            found = re.fullmatch(pattern, relative)
            if found:
                return found
        return None


_REGISTRY: dict[str, SourceSpec] = {}
_IMPORTED = False


def register(spec: SourceSpec) -> SourceSpec:
    if spec.kind in _REGISTRY and _REGISTRY[spec.kind] is not spec:
        raise ValueError(f"kind {spec.kind!r} registered twice")
    _REGISTRY[spec.kind] = spec
    return spec


def registry() -> dict[str, SourceSpec]:
    """All kinds, in the contract's load order."""
    global _IMPORTED
    if not _IMPORTED:
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        _IMPORTED = True
    return dict(sorted(_REGISTRY.items(), key=lambda item: (item[1].order, item[0])))
