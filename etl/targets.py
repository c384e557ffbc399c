"""Where a variant's rows go (the targets of `etl.sources`), inside the file's transaction: the one in-file
duplicate rule, window ranks, and the write to a fact table (set-based, etl.merge), to master data (a
warehouse.services writer, row by row) or nowhere (held rows, quarantined for staff)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from etl import merge, window
from etl.sources import Duplicates, Facts, Held, Records, Target
from warehouse.fields import from_units

if TYPE_CHECKING:
    from etl.pipeline import Batch, LoadContext


def _rule(target: Target | None) -> Duplicates | None:
    return None if target is None or isinstance(target, Held) else target.duplicates


def before_transform(ctx: LoadContext, batch: Batch, target: Target | None) -> None:
    """Held rows are quarantined, and a duplicate rule marked `before_transform` applied, before `transform`."""
    if isinstance(target, Held):
        batch.flag(
            np.ones(len(batch.df), dtype=bool), column=target.column, reason=target.reason, message=target.message
        )
    rule = _rule(target)
    if rule and rule.before_transform:
        dedupe(ctx, batch, rule)


def after_transform(ctx: LoadContext, batch: Batch, target: Target | None) -> None:
    if isinstance(target, Facts) and target.window:
        window.rank(ctx, batch, target.window)
    rule = _rule(target)
    if rule and not rule.before_transform:
        dedupe(ctx, batch, rule)


def dedupe(ctx: LoadContext, batch: Batch, rule: Duplicates) -> None:
    """Among the usable rows: identical rows sharing the key collapse into the first (counted); rows that share the
    key but differ in a compared column → every copy quarantined."""
    key = list(rule.key)
    compare = list(dict.fromkeys([*key, *(c for c in rule.compare if c in batch.df.columns)]))
    candidates = batch.df[batch.usable]
    dup = candidates.duplicated(subset=key, keep=False)
    if not dup.any():
        return
    dups = candidates[dup]
    distinct = dups.drop_duplicates(subset=compare)
    conflict_keys = distinct[distinct.duplicated(subset=key, keep=False)][key].drop_duplicates()
    conflict_index = dups.reset_index().merge(conflict_keys, on=key)["index"] if len(conflict_keys) else []
    if len(conflict_index):
        mask = np.zeros(len(batch.df), dtype=bool)
        mask[np.asarray(conflict_index)] = True
        batch.flag(
            mask,
            column=rule.column or ",".join(key),
            reason=rule.reason,
            message=rule.message or f"another row has the same key ({', '.join(key)}) with different values",
        )
    identical = dups.drop(index=list(conflict_index))
    extra = identical.index[identical.duplicated(subset=key, keep="first").to_numpy()]
    if len(extra):
        ctx.counters[rule.counter] += len(extra)
        batch.collapsed[np.asarray(extra)] = True


def write(ctx: LoadContext, batch: Batch, target: Target | None) -> None:
    """The usable rows into the target; sets the file's inserted / updated / unchanged counts."""
    if isinstance(target, Facts):
        merge.stage_create(target.fields)
        merge.stage_fill(batch.df, target.fields, rows=np.flatnonzero(batch.usable))
        if target.window:
            counts = window.upsert(ctx, target)
        else:
            counts = merge.upsert(
                table=target.table,
                fields=list(target.fields),
                key=target.key,
                load_run_id=ctx.load_run.pk,
                source_file_id=ctx.source_file.pk,
            )
        merge.stage_drop()
        ctx.inserted, ctx.updated, ctx.unchanged = counts
    elif isinstance(target, Records):
        _records(ctx, batch, target)


def _records(ctx: LoadContext, batch: Batch, target: Records) -> None:
    known = {"source_file": ctx.source_file, "queue_unknown": not ctx.options.dry_run}
    context = {name: known[name] for name in target.context}
    rows = batch.df[batch.usable]
    columns = [[_argument(v, kind) for v in rows[name].tolist()] for name, kind in target.fields.items()]
    outcomes = Counter(target.write(**dict(zip(target.fields, values)), **context)[1] for values in zip(*columns))
    ctx.inserted += outcomes["inserted"]
    ctx.updated += outcomes["updated"]
    ctx.unchanged += outcomes["unchanged"]


def _argument(value, kind: str):
    """A batch value as the writer's argument (`etl.sources.ARGUMENT_TYPES`); missing (None, NaN, NaT) → None."""
    if pd.isna(value):
        return None
    if kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind == "decimal":
        return from_units(value)
    return value
