"""Copy a whole warehouse to another database (`manage.py copy_warehouse`, docs/OPERATIONS.md "Moving to PostgreSQL").

Every table of every installed model is copied — master data, facts, lineage, aggregates, users, tokens, admin log —
so tables other apps add later are included without a change here. The target must be migrated to the same
migrations. Everything on the target happens in one transaction: the copy, the sequence fix and the verification
(row counts per table, money totals, the `/api/kpis` body) all succeed or the target is left as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import environ
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Sum

from warehouse.fields import FixedDecimalField
from warehouse.models import LineageMixin, LoadRun

TARGET_ALIAS = "copy_target"
DEFAULT_BATCH_SIZE = 5000
SQLITE_TARGET_CACHE_KIB = 64 * 1024


class CopyRefused(Exception):
    """The target is not a valid destination; nothing was written to it."""


class CopyVerificationFailed(Exception):
    """The copy differs from the source; the target transaction was rolled back."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied (= rows in the source)
    money: dict[str, Decimal] = field(default_factory=dict)  # "table.column" → total, equal on both sides
    kpis: dict = field(default_factory=dict)  # the /api/kpis body (without generated_at), equal on both sides
    copy_seconds: float = 0.0
    verify_seconds: float = 0.0


def target_connect(*, url: str) -> str:
    """Register the target database URL (django-environ syntax, like DATABASE_URL) as a connection alias."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**settings.SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    config["CONN_MAX_AGE"] = 0
    connections.settings[TARGET_ALIAS] = connections.configure_settings({DEFAULT_DB_ALIAS: config})[DEFAULT_DB_ALIAS]
    source, target = connections[DEFAULT_DB_ALIAS].settings_dict, connections.settings[TARGET_ALIAS]
    same = ("ENGINE", "NAME", "HOST", "PORT")
    if all(str(source.get(k) or "") == str(target.get(k) or "") for k in same):
        raise CopyRefused("the target is the configured database itself")
    return TARGET_ALIAS


def copied_models() -> list[type[models.Model]]:
    """Every concrete table of every installed model (auto-created many-to-many tables included)."""
    return [
        model for model in apps.get_models(include_auto_created=True) if model._meta.managed and not model._meta.proxy
    ]


def _applied(alias: str) -> set[tuple[str, str]]:
    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return set()
    return set(recorder.applied_migrations())


def target_check(*, alias: str, replace: bool) -> None:
    """Refuse a target that is not migrated like the source, or that holds a warehouse already (unless replace)."""
    try:
        connections[alias].ensure_connection()
    except Exception as exc:
        raise CopyRefused(f"cannot connect to the target: {exc}") from exc
    source, target = _applied(DEFAULT_DB_ALIAS), _applied(alias)
    if source != target:
        missing, extra = sorted(source - target), sorted(target - source)
        hint = (
            "run `DATABASE_URL=<target> manage.py migrate` with this code first"
            if missing
            else "deploy code that matches"
        )
        raise CopyRefused(
            f"the target is not migrated like the source ({len(missing)} migration(s) missing"
            f"{': ' + ', '.join(f'{a}.{n}' for a, n in missing[:3]) if missing else ''}, {len(extra)} unknown): {hint}"
        )
    if replace:
        return
    # A fresh `migrate` seeds master data, content types and permissions; users, load runs and facts only come from
    # people and loads, so any of them means the target already holds a warehouse.
    occupancy = [settings.AUTH_USER_MODEL, LoadRun, *(m for m in copied_models() if issubclass(m, LineageMixin))]
    for model in occupancy:
        model = apps.get_model(model) if isinstance(model, str) else model
        if model._base_manager.using(alias).exists():
            raise CopyRefused(
                f"the target is not empty (table {model._meta.db_table} has rows): pass --replace to overwrite it"
            )


def _rows(model, *, batch_size: int) -> Iterator[list[tuple]]:
    """The source rows in primary-key order, as Python values (Decimal, aware datetimes, dicts), in batches."""
    names = [f.attname for f in model._meta.local_concrete_fields]
    batch = []
    for row in model._base_manager.using(DEFAULT_DB_ALIAS).order_by("pk").values_list(*names).iterator(batch_size):
        batch.append(row)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


# Fields whose Python value (after the source's converters) is already what any backend's driver takes.
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
)


def _preparer(field, target) -> Callable | None:
    """None when the value passes as is; else the field's own conversion for the target (money to integer units,
    JSON, datetimes, dates, binary). Calling the field for every value cost 2/3 of the copy's time."""
    plain = field.target_field if field.is_relation else field
    if type(plain) in _PLAIN:
        return None
    return lambda value: field.get_db_prep_save(value, connection=target)


def _copy_table(model, *, alias: str, batch_size: int, progress: Callable[[str, int, int], None]) -> int:
    target = connections[alias]
    fields = model._meta.local_concrete_fields
    qn = target.ops.quote_name
    table, columns = qn(model._meta.db_table), ", ".join(qn(f.column) for f in fields)
    insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    preparers = [(i, prepare) for i, f in enumerate(fields) if (prepare := _preparer(f, target)) is not None]
    total = model._base_manager.using(DEFAULT_DB_ALIAS).count()
    done = 0
    with target.cursor() as cursor:
        for batch in _rows(model, batch_size=batch_size):
            if preparers:
                batch = [list(row) for row in batch]
                for row in batch:
                    for i, prepare in preparers:
                        row[i] = prepare(row[i])
            if target.vendor == "postgresql":  # COPY: several times faster than INSERTs
                # The driver's own cursor: its errors wrapped as Django's (DatabaseError), as for a Django cursor.
                with target.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, batch)
            done += len(batch)
            progress(model._meta.db_table, done, total)
    return done


def _money_totals(alias: str) -> dict[str, Decimal]:
    totals = {}
    for model in copied_models():
        money = [f for f in model._meta.local_concrete_fields if isinstance(f, FixedDecimalField | models.DecimalField)]
        if money:
            sums = model._base_manager.using(alias).aggregate(**{f.attname: Sum(f.attname) for f in money})
            totals.update({f"{model._meta.db_table}.{name}": value or Decimal(0) for name, value in sums.items()})
    return totals


def _counts(alias: str) -> dict[str, int]:
    return {model._meta.db_table: model._base_manager.using(alias).count() for model in copied_models()}


@contextmanager
def connection_as_default(alias: str) -> Iterator[None]:
    """Make `alias`'s connection (and its open transaction) the default one in this thread for the block."""
    source = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connections[alias]
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = source


def warehouse_copy(
    *,
    alias: str,
    replace: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    body: Callable[..., dict],
    progress: Callable[[str, int, int], None] = lambda table, done, total: None,
) -> CopyReport:
    """Copy the configured database into `alias` (checked with `target_check` first) and verify it: row counts,
    money totals and `body(alias=...)`, what readers are served (the command passes the /api/kpis body)."""
    target_check(alias=alias, replace=replace)
    chosen = copied_models()
    target = connections[alias]
    report = CopyReport()
    # The source is read in one transaction (one consistent snapshot); the target is written in one.
    with transaction.atomic(using=DEFAULT_DB_ALIAS), transaction.atomic(using=alias):
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if target.vendor == "sqlite":
            with target.cursor() as cursor:  # as load_curated does: every index of a big table is written
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_TARGET_CACHE_KIB}")
        tables = [m._meta.db_table for m in chosen]
        # Migrate's seed rows (and, with --replace, the old warehouse) go: the source's rows keep their ids.
        with target.cursor() as cursor:
            for statement in target.ops.sql_flush(no_style(), tables, allow_cascade=True):
                cursor.execute(statement)
        started = time.monotonic()
        for model in chosen:
            report.rows[model._meta.db_table] = _copy_table(
                model, alias=alias, batch_size=batch_size, progress=progress
            )
        with target.cursor() as cursor:
            for statement in target.ops.sequence_reset_sql(no_style(), chosen):
                cursor.execute(statement)
        report.copy_seconds = time.monotonic() - started
        _verify(report, alias=alias, body=body)
        report.verify_seconds = time.monotonic() - started - report.copy_seconds
        if target.vendor == "sqlite":
            with target.cursor() as cursor:  # deferred foreign keys are checked at COMMIT; name the table first
                cursor.execute("PRAGMA foreign_key_check")
                broken = cursor.fetchall()
            if broken:
                raise CopyVerificationFailed(f"foreign keys broken on the target: {broken[:5]}")
    return report


def _verify(report: CopyReport, *, alias: str, body: Callable[..., dict]) -> None:
    counts = _counts(alias)
    source_counts = _counts(DEFAULT_DB_ALIAS)
    if counts != source_counts or counts != report.rows:
        differ = {t: (source_counts[t], counts[t]) for t in counts if counts[t] != source_counts[t]}
        raise CopyVerificationFailed(f"row counts differ (table: source, target): {differ}")
    report.money = _money_totals(DEFAULT_DB_ALIAS)
    target_money = _money_totals(alias)
    if target_money != report.money:
        differ = {k: (v, target_money.get(k)) for k, v in report.money.items() if target_money.get(k) != v}
        raise CopyVerificationFailed(f"money totals differ (column: source, target): {differ}")
    report.kpis = body(alias=DEFAULT_DB_ALIAS)
    target_kpis = body(alias=alias)
    if target_kpis != report.kpis:
        raise CopyVerificationFailed("the /api/kpis body differs between source and target")
