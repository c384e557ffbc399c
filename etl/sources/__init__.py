"""The registry of curated kinds and the declarative spec each kind module fills in.

One module per kind in this package (`etl/sources/<kind>.py`) builds a `SourceSpec` and calls `register(spec)`.
Every module here is imported by `registry()`, so adding a kind is adding a file. The shared pipeline
(`etl.pipeline`) does everything else: discovery, order, hashing, reading, validation, duplicates, the bad-row
threshold, the per-file transaction and the writes of each variant's target (`etl.targets`: a fact table, master
data through a service, or rows held for staff). See docs/LOADER.md for the spec with worked examples.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from etl.kinds import KIND_ORDER
from etl.validation import Parser

if TYPE_CHECKING:
    from etl.pipeline import Batch, LoadContext
    from etl.readers import CsvFile


# Name timestamps (contract §1.1): `<ts>` = YYYYMMDD_HHMMSS, Meta files YYYYMMDD.
TS = r"(?P<ts>\d{8}_\d{6})"
TS_DAY = r"(?P<ts>\d{8})"

SQL_TYPES = ("text", "int", "date", "bool", "json")  # json: serialised text in the batch (JSONField targets)
# A master-data writer's arguments: the batch value converted to None (missing), str, int, date (`.date()`), bool,
# an aware datetime, or a Decimal from integer units (FixedDecimalField storage).
ARGUMENT_TYPES = ("text", "int", "date", "bool", "datetime", "decimal")


@dataclass(frozen=True)
class Column:
    """One CSV column: exact header name → stage field, parsed by `parse`. Optional columns may be absent."""

    header: str
    field: str
    parse: Parser
    required: bool = True


@dataclass(frozen=True)
class Duplicates:
    """The in-file duplicate rule. Rows sharing `key` whose `compare` columns also agree collapse into the first
    (counted `counter`); rows sharing `key` that differ there are all quarantined `reason`. It runs after
    `transform`, or before it when `before_transform` (then `key` and `compare` must be parsed fields)."""

    key: tuple[str, ...]
    compare: tuple[str, ...] = ()
    reason: str = "duplicate_key_conflict"
    column: str = ""
    """The quarantined rows' column (default: the key's names joined by `,`)."""
    message: str = ""
    """Default: `another row has the same key (<key>) with different values`."""
    counter: str = "duplicates_identical"
    before_transform: bool = False


@dataclass(frozen=True)
class Window:
    """Copies of a kind are recent windows (contract §2.2 "as-of, not arrival"): per `group` value, a file's window
    has an as-of date (its last `date` there) and ranks by (as-of, name timestamp or mtime). Each count column keeps
    the value of the highest-ranked file, a 0 within the last `protected_dates` dates of a window ranking below every
    real count. The target table stores `as_of`, `window_rank` (the lineage follows it) and one rank column per count.
    """

    group: str
    date: str
    ranks: dict[str, str]
    """count column → its rank column."""
    follows: dict[str, str] = field(default_factory=dict)
    """column → the count column whose rank it follows (e.g. a partial-day flag)."""
    totals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """column → the count columns it is recomputed as the sum of."""
    protected_dates: int = 3


@dataclass(frozen=True)
class Facts:
    """A fact table, merged set-based (etl.merge): TEMP stage, then one INSERT … ON CONFLICT."""

    table: str
    fields: dict[str, str]
    """Target columns (db names, e.g. `platform_id`) → SQL type (`SQL_TYPES`); `transform` must leave a batch column
    for each. Lineage (`load_run_id`, `source_file_id`, `source_line`) is added by the pipeline."""
    key: tuple[str, ...]
    """Natural key (target columns, with a unique constraint): ON CONFLICT and the default duplicate rule."""
    merge: str = "upsert"
    """`upsert`: by key, never deletes, a row is only changed by a file at least as new as the one that wrote it;
    `rowhash`: identity = sha256 of `hash_fields` + occurrence (key e.g. `("source", "row_hash", "occurrence")`);
    `window`: by key, each count column ranked by the file's as-of (`window`)."""
    hash_fields: tuple[str, ...] = ()
    window: Window | None = None
    duplicates: Duplicates | None = None
    """Default for `upsert` and `window`: on `key`, comparing every field."""

    def __post_init__(self):
        for name, sql_type in self.fields.items():
            if sql_type not in SQL_TYPES:
                raise ValueError(f"{self.table}.{name}: unknown SQL type {sql_type!r}")
        if self.merge not in ("upsert", "rowhash", "window") or (self.merge == "window") != bool(self.window):
            raise ValueError(f"{self.table}: merge {self.merge!r} with window {self.window!r}")
        if self.window:
            wanted = {"as_of", "window_rank", self.window.date, self.window.group, *self.window.ranks.values()}
            if not wanted <= set(self.fields):
                raise ValueError(f"{self.table}: a window needs the fields {sorted(wanted - set(self.fields))}")
        if self.duplicates is None and self.merge != "rowhash":
            object.__setattr__(self, "duplicates", Duplicates(key=self.key, compare=tuple(self.fields)))


@dataclass(frozen=True)
class Records:
    """Master data written row by row through a `warehouse.services` writer: `write(**arguments)` is called once per
    usable row, in file order, and returns (record, "inserted" | "updated" | "unchanged"), counted as the file's
    rows inserted / updated / unchanged."""

    write: Callable[..., tuple[object, str]]
    fields: dict[str, str]
    """Keyword argument = batch column → `ARGUMENT_TYPES` conversion."""
    key: tuple[str, ...]
    context: tuple[str, ...] = ()
    """Also passed: `source_file` (this file's record) and/or `queue_unknown` (false in a dry run)."""
    duplicates: Duplicates | None = None
    """Default: on `key`, comparing every field."""

    def __post_init__(self):
        for name, sql_type in self.fields.items():
            if sql_type not in ARGUMENT_TYPES:
                raise ValueError(f"{self.write.__name__}.{name}: unknown argument type {sql_type!r}")
        if not set(self.context) <= {"source_file", "queue_unknown"}:
            raise ValueError(f"{self.write.__name__}: unknown context {self.context!r}")
        if self.duplicates is None:
            object.__setattr__(self, "duplicates", Duplicates(key=self.key, compare=tuple(self.fields)))


@dataclass(frozen=True)
class Held:
    """A layout that loads nothing: every row is quarantined `reason` for staff to complete in the admin. These rows
    are expected, not bad data: they never count towards the bad-row threshold."""

    column: str
    reason: str
    message: str


Target = Facts | Records | Held


@dataclass(frozen=True)
class Variant:
    """One header layout and where its rows go. A file matches the first variant whose required columns are all
    present. No target: the kind is `not_loaded` or a `stream` kind writes itself."""

    name: str
    columns: tuple[Column, ...]
    target: Target | None = None


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    patterns: tuple[str, ...]
    """Regexes, full-matched against the POSIX path relative to the curated root (`metaads/…` for Meta). An
    optional `ts` group is the name timestamp (orders copies: oldest first, the newest wins)."""
    variants: tuple[Variant, ...]
    transform: Callable[[LoadContext, Batch], None] | None = None
    """Runs inside the file's transaction after validation: master-data resolution, derived fields, and
    `batch.flag(...)` to quarantine rows (or `raise ctx.reject(...)` to reject the file). It may resolve master data
    (aliases, tracks, campaigns) through warehouse.services; the rows themselves are written by the target."""
    stream: Callable[[LoadContext, CsvFile, Variant, dict[str, int]], Batch] | None = None
    """A kind too large to hold in memory (the DK snapshot): BEFORE the file's transaction (reads and TEMP tables
    only, so no write lock on SQLite) it reads, validates and stages the file chunk by chunk, sets ctx.rows_read,
    leaves what `stream_merge` needs in ctx.state, and returns a Batch of the rows to quarantine. `transform` and the
    targets are unused."""
    stream_merge: Callable[[LoadContext], tuple[int, int, int]] | None = None
    """A `stream` kind's final merge, inside the file's transaction: writes `table`, sets ctx.retracted and returns
    (inserted, updated, unchanged)."""
    table: str = ""
    """A `stream` kind's table."""
    snapshot: bool = False
    """Full snapshot: only the *active* (latest loaded) file's sha256 is skipped; an earlier snapshot seen again
    goes through the guards (and is rejected stale)."""
    not_loaded: bool = False
    """A kind the contract names but never loads (reported `ignored`)."""

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
