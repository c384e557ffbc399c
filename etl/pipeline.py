"""One curated file through the pipeline every kind shares (docs/LOADER.md "How a run works"; the run around it is
etl/runs.py): read (etl.readers) → validate every rule on every row (etl.validation) → ONE transaction per file:
SourceFile record, transform (master data), in-file duplicates, bad-row threshold, the write of the variant's target
(etl.targets: set-based merge, master data or held rows), quarantined rows, counts, `facts_changed`.
A kind with a `stream` hook (the DK snapshot) reads, validates, stages and diffs chunk by chunk BEFORE that
transaction (reads and TEMP tables: no write lock on SQLite); its `stream_merge` hook is then the short merge.
A rejected file rolls back completely; its `rejected` record is written afterwards on its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import transaction

from etl import targets
from etl.readers import (
    VALUE_EXCERPT,
    CsvFile,
    FileRejected,
    Malformed,
    excerpt,
    physical_lines,
    read_csv,
)
from etl.sources import Facts, Held, SourceSpec, Variant
from warehouse import services
from warehouse.models import LoadRun, QuarantinedRow, SourceFile

HASH_BATCH = 50_000


@dataclass
class Planned:
    path: Path
    relative: str
    spec: SourceSpec
    name_timestamp: dt.datetime | None
    mtime: dt.datetime


@dataclass
class FileResult:
    path: str
    kind: str | None
    sha256: str | None
    status: str
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    reason: str | None = None
    message: str = ""
    rows_retracted: int = 0
    counters: dict = field(default_factory=dict)
    quarantined: list[str] = field(default_factory=list)  # "path:line column reason" for the log

    def as_json(self) -> dict:
        keys = (
            "path",
            "kind",
            "sha256",
            "status",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "rows_unchanged",
            "rows_quarantined",
            "reason",
        )
        return {k: getattr(self, k) for k in keys}


@dataclass
class Options:
    force: bool = False
    dry_run: bool = False
    max_bad_ratio: float = 0.05
    accept_shrink: bool = False


class Batch:
    """A file's validated rows: `df` holds one column per stage field plus `_line`; `errors` maps a row
    position to every (column, reason, message) it broke. Flagged rows are quarantined, never merged."""

    def __init__(self, df: pd.DataFrame, errors: dict[int, list[tuple[str, str, str]]], variant: Variant):
        self.df = df
        self.errors = errors
        self.variant = variant
        self.collapsed = np.zeros(len(df), dtype=bool)  # identical in-file duplicates: counted, not merged

    def flag(self, mask: pd.Series | np.ndarray, *, column: str, reason: str, message: str = "") -> int:
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for pos in positions:
            self.errors.setdefault(int(pos), []).append((column, reason, message))
        return len(positions)

    @property
    def bad(self) -> np.ndarray:
        mask = np.zeros(len(self.df), dtype=bool)
        if self.errors:
            mask[list(self.errors)] = True
        return mask

    @property
    def usable(self) -> np.ndarray:
        return ~self.bad & ~self.collapsed

    def good(self) -> pd.DataFrame:
        """The rows to merge."""
        return self.df[self.usable]


@dataclass
class LoadContext:
    spec: SourceSpec
    planned: Planned
    load_run: LoadRun
    options: Options
    sha256: str
    source_file: SourceFile | None = None
    counters: Counter = field(default_factory=Counter)
    malformed: list[Malformed] = field(default_factory=list)
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retracted: int = 0
    state: dict = field(default_factory=dict)  # what a kind's `stream` hook hands its `stream_merge` hook

    def reject(self, reason: str, detail: str) -> FileRejected:
        return FileRejected(reason, f"{self.planned.relative}: rejected ({reason}): {detail}")


# --- reading and validation -----------------------------------------------------------------------------------


def _choose_variant(spec: SourceSpec, header: list[str], name: str) -> Variant:
    present = set(header)
    for variant in spec.variants:
        if all(c.header in present for c in variant.columns if c.required):
            return variant
    if len(spec.variants) == 1:
        missing = [c.header for c in spec.variants[0].columns if c.required and c.header not in present]
        raise FileRejected(
            "missing_required_column",
            f"{name}: rejected (missing_required_column): missing {', '.join(missing)} (line 1)",
        )
    parts = []
    for variant in spec.variants:
        known = {c.header for c in variant.columns}
        missing = [c.header for c in variant.columns if c.required and c.header not in present]
        unexpected = [h for h in header if h not in known]
        parts.append(
            f"{variant.name} ({len(variant.columns)} columns): missing {', '.join(missing) or '-'}; "
            f"unexpected {', '.join(unexpected) or '-'}"
        )
    raise FileRejected("unknown_header", f"{name}: rejected (unknown_header): matches no variant: {' | '.join(parts)}")


def _parse_column(column, raw: np.ndarray, ctx: LoadContext, errors: dict, offset: int) -> pd.Series:
    """Parse the distinct values once (pd.factorize), then map values, errors and flags back to every row."""
    codes, uniques = pd.factorize(raw)
    result = column.parse(pd.Series(uniques, dtype=object))
    if result.flags:
        per_value = np.bincount(codes, minlength=len(uniques))
        for code, mask in result.flags.items():
            count = int(per_value[np.asarray(mask, dtype=bool)].sum())
            if count:
                ctx.counters[code] += count
    reasons = result.errors.to_numpy(dtype=object)
    bad_values = np.flatnonzero(reasons != "")
    if len(bad_values):
        for pos in np.flatnonzero(np.isin(codes, bad_values)):
            value = uniques[codes[pos]]
            reason = reasons[codes[pos]]
            errors.setdefault(offset + int(pos), []).append(
                (column.header, reason, f"{column.header}: {reason} ({excerpt(repr(value), VALUE_EXCERPT)})")
            )
    return result.values.take(codes).reset_index(drop=True)


def open_csv(ctx: LoadContext) -> tuple[CsvFile, Variant, dict[str, int]]:
    """The file's reader (rows not read yet), its variant, and each header's position."""
    csv_file = read_csv(ctx.planned.path, name=ctx.planned.relative, sha256=ctx.sha256 or None)
    variant = _choose_variant(ctx.spec, csv_file.header, ctx.planned.relative)
    known = {c.header for c in variant.columns}
    extra = [h for h in csv_file.header if h not in known]
    if extra:
        ctx.counters["extra_column"] += len(extra)
    return csv_file, variant, {name: index for index, name in enumerate(csv_file.header)}


def parse_rows(
    ctx: LoadContext,
    variant: Variant,
    position: dict[str, int],
    rows: list[list[str]],
    lines: list[int],
    errors: dict[int, list[tuple[str, str, str]]],
    offset: int = 0,
) -> dict[str, pd.Series]:
    """Records → one typed Series per field plus `_line`; every rule's failures land in `errors` at offset + row."""
    size = len(rows)
    columns = list(zip(*rows)) if size else []
    parsed: dict[str, pd.Series] = {}
    for column in variant.columns:
        if column.header in position and size:
            raw = np.empty(size, dtype=object)
            raw[:] = columns[position[column.header]]
        else:  # an absent optional column reads as empty values
            raw = np.full(size, "", dtype=object)
        parsed[column.field] = _parse_column(column, raw, ctx, errors, offset)
    parsed["_line"] = pd.Series(np.asarray(lines, dtype=np.int64))
    return parsed


def read_and_validate(ctx: LoadContext) -> Batch:
    csv_file, variant, position = open_csv(ctx)
    parts: dict[str, list[pd.Series]] = {c.field: [] for c in variant.columns}
    parts["_line"] = []
    errors: dict[int, list[tuple[str, str, str]]] = {}
    offset = 0
    for chunk in csv_file.chunks:
        parsed = parse_rows(ctx, variant, position, chunk.rows, chunk.lines, errors, offset)
        for name, series in parsed.items():
            parts[name].append(series)
        offset += len(chunk.rows)
    df = pd.DataFrame(index=pd.RangeIndex(offset))
    for name in list(parts):  # one column at a time: never two copies of the whole file
        chunks = parts.pop(name)
        df[name] = (
            pd.concat(chunks, ignore_index=True) if chunks else pd.Series(dtype=np.int64 if name == "_line" else object)
        )
    ctx.malformed = csv_file.malformed
    ctx.rows_read = len(df) + len(ctx.malformed)
    return Batch(df, errors, variant)


def as_text(series: pd.Series) -> list[str]:
    """Normalised text of each value ("" for missing): dates as ISO, numbers as integers. Distinct values are
    formatted once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if pd.api.types.is_datetime64_any_dtype(series):
        texts = [v.strftime("%Y-%m-%d") for v in pd.DatetimeIndex(uniques)]
    else:
        texts = [str(v) for v in (uniques.tolist() if hasattr(uniques, "tolist") else list(uniques))]
    texts.append("")  # code -1: missing
    table = np.array(texts, dtype=object)
    return table[codes].tolist()


# --- helpers for kinds ----------------------------------------------------------------------------------------


def row_hashes(
    frame: pd.DataFrame, fields: tuple[str, ...], *, rows: np.ndarray | None = None
) -> tuple[list[bytes], np.ndarray]:
    """sha256 digests (32 bytes; staged as hex) of the normalised values of `rows` (positions; default all),
    unit separator-joined, and the occurrence 1..n among identical rows, numbered in file order."""
    sha = hashlib.sha256
    digests: list[bytes] = []
    rows = np.arange(len(frame)) if rows is None else rows
    for start in range(0, len(rows), HASH_BATCH):  # the per-row texts exist for one batch at a time
        part = frame.iloc[rows[start : start + HASH_BATCH]]
        columns = [as_text(part[name]) for name in fields]
        digests.extend(sha("\x1f".join(values).encode()).digest() for values in zip(*columns))
    codes, _ = pd.factorize(np.array(digests, dtype=object))
    occurrence = pd.Series(codes).groupby(codes, sort=False).cumcount().to_numpy() + 1
    return digests, occurrence


# --- one file -------------------------------------------------------------------------------------------------


def _quarantine_records(ctx: LoadContext, batch: Batch) -> list[QuarantinedRow]:
    lines = batch.df["_line"].to_numpy()
    wanted = {m.line for m in ctx.malformed} | {int(lines[pos]) for pos in batch.errors}
    raw = physical_lines(ctx.planned.path, wanted)
    records = [
        QuarantinedRow(
            source_file=ctx.source_file,
            line=m.line,
            column="",
            reason="malformed_row",
            message=m.message,
            raw=m.raw,
            errors=[{"column": "", "reason": "malformed_row", "message": m.message}],
        )
        for m in ctx.malformed
    ]
    for pos, errs in sorted(batch.errors.items()):
        column, reason, message = errs[0]
        records.append(
            QuarantinedRow(
                source_file=ctx.source_file,
                line=int(lines[pos]),
                column=column[:100],
                reason=reason,
                message="; ".join(e[2] or f"{e[0]}: {e[1]}" for e in errs),
                raw=raw.get(int(lines[pos]), ""),
                errors=[{"column": c, "reason": r, "message": m} for c, r, m in errs],
            )
        )
    return sorted(records, key=lambda r: r.line)


def check_bad_ratio(ctx: LoadContext, batch: Batch) -> None:
    bad = len(batch.errors) + len(ctx.malformed)
    if ctx.rows_read and bad / ctx.rows_read > ctx.options.max_bad_ratio:
        raise ctx.reject(
            "too_many_bad_rows",
            f"{bad} of {ctx.rows_read} rows are bad ({bad / ctx.rows_read:.1%} > {ctx.options.max_bad_ratio:.1%})"
            f"; first: {_first_problem(ctx, batch)}",
        )


def _first_problem(ctx: LoadContext, batch: Batch) -> str:
    lines = batch.df["_line"].to_numpy()
    problems = [(m.line, "", "malformed_row") for m in ctx.malformed]
    problems += [(int(lines[p]), e[0][0], e[0][1]) for p, e in batch.errors.items()]
    if not problems:
        return "-"
    line, column, reason = min(problems)
    return f"line {line}" + (f" column {column}" if column else "") + f" {reason}"


def _source_file_record(ctx: LoadContext, *, status: str, size_bytes: int, **fields) -> SourceFile:
    """The file's lineage record, loaded or rejected: what identifies the file is written in one place."""
    planned = ctx.planned
    return services.source_file_record(
        load_run=ctx.load_run,
        status=status,
        kind=ctx.spec.kind,
        path=planned.relative,
        sha256=ctx.sha256,
        size_bytes=size_bytes,
        mtime=planned.mtime,
        name_timestamp=planned.name_timestamp,
        rows_read=ctx.rows_read,
        **fields,
    )


def _source_file(ctx: LoadContext, variant: Variant) -> SourceFile:
    size = ctx.planned.path.stat().st_size  # a file gone by now is rejected `vanished` (etl/runs.py)
    return _source_file_record(ctx, status=SourceFile.Status.LOADED, size_bytes=size, schema_variant=variant.name)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """A file's load allocates millions of short-lived strings and tuples, freed by reference counting; the cyclic
    collector would rescan them over and over (it doubled the time to read a million DK rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_file(ctx: LoadContext) -> FileResult:
    with _cyclic_gc_paused():
        return _load_file(ctx)


def _load_file(ctx: LoadContext) -> FileResult:
    planned = ctx.planned
    spec = ctx.spec
    if spec.stream:  # read, validated and staged chunk by chunk, before the transaction
        csv_file, variant, position = open_csv(ctx)
        batch = spec.stream(ctx, csv_file, variant, position)
        check_bad_ratio(ctx, batch)
        with transaction.atomic():  # the short final merge: the only part that takes SQLite's write lock
            ctx.source_file = _source_file(ctx, variant)
            ctx.inserted, ctx.updated, ctx.unchanged = spec.stream_merge(ctx)
            quarantined = _record_outcome(ctx, batch)
    else:
        batch = read_and_validate(ctx)
        target = batch.variant.target
        check_bad_ratio(ctx, batch)  # early: a hopeless file never takes the write lock
        with transaction.atomic():
            ctx.source_file = _source_file(ctx, batch.variant)
            targets.before_transform(ctx, batch, target)
            if spec.transform:
                spec.transform(ctx, batch)
            if isinstance(target, Facts) and target.merge == "rowhash":
                good = batch.usable
                hashes, occurrence = row_hashes(batch.df, target.hash_fields, rows=np.flatnonzero(good))
                batch.df.loc[good, "row_hash"] = hashes
                batch.df.loc[good, "occurrence"] = occurrence
            targets.after_transform(ctx, batch, target)
            if not isinstance(target, Held):  # held rows are expected, not bad data
                check_bad_ratio(ctx, batch)
            targets.write(ctx, batch, target)
            quarantined = _record_outcome(ctx, batch)
    return FileResult(
        planned.relative,
        spec.kind,
        ctx.sha256,
        "loaded",
        ctx.rows_read,
        ctx.inserted,
        ctx.updated,
        ctx.unchanged,
        len(quarantined),
        None,
        rows_retracted=ctx.retracted,
        counters=dict(ctx.counters),
        quarantined=[f"{planned.relative}:{r.line} {r.column} {r.reason}".replace("  ", " ") for r in quarantined],
    )


def _record_outcome(ctx: LoadContext, batch: Batch) -> list[QuarantinedRow]:
    """Inside the file's transaction: its quarantined rows, its counts, and the aggregates that follow the facts."""
    quarantined = _quarantine_records(ctx, batch)
    services.source_file_outcome_record(
        source_file=ctx.source_file,
        quarantined=quarantined,
        rows_read=ctx.rows_read,
        rows_inserted=ctx.inserted,
        rows_updated=ctx.updated,
        rows_unchanged=ctx.unchanged,
        rows_retracted=ctx.retracted,
        counters=dict(ctx.counters),
    )
    services.facts_changed(kind=ctx.spec.kind, source_file=ctx.source_file)
    return quarantined


def file_rejected_record(ctx: LoadContext, exc: FileRejected) -> FileResult:
    planned = ctx.planned
    with transaction.atomic():
        _source_file_record(
            ctx,
            status=SourceFile.Status.REJECTED,
            size_bytes=planned.path.stat().st_size if planned.path.exists() else 0,
            reason=exc.reason,
            message=exc.message,
            counters=dict(ctx.counters),
        )
    return FileResult(
        planned.relative,
        ctx.spec.kind,
        ctx.sha256 or None,
        "rejected",
        ctx.rows_read,
        rows_quarantined=len(ctx.malformed),
        reason=exc.reason,
        message=exc.message,
        counters=dict(ctx.counters),
    )
