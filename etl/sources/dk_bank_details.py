"""`dk_bank_details.csv`: the DistroKid bank-details export, a full-history snapshot (contract §2.1).

Identity = sha256 of the 13 normalised values + occurrence among identical rows. Each snapshot is diffed
against the active set: new rows inserted, rows present in both kept (last_seen_file), rows gone retracted
(never deleted), retracted rows that come back reinstated. Guards: header-only, stale and shrunk snapshots; a
checksum (row count and exact Σ earnings) before commit. Unknown stores and artists are queued for staff and the
row loads with platform / artist NULL; a new ISRC creates its track (needs_review).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import connection

from etl import merge
from etl.merge import STAGE, q
from etl.pipeline import Batch, LoadContext, row_hashes
from etl.sources import Column, SourceSpec, Variant, register
from etl.validation import country, date, decimal_units, enum, integer, isrc, text
from warehouse import services
from warehouse.fields import from_units

TABLE = "royalty_line"
SHRINK_TOLERANCE = 0.05

COLUMNS = (
    Column("Reporting Date", "reporting_date", date()),
    Column("Sale Month", "sale_month", date(fmt="%Y-%m")),
    Column("Store", "store", text(required=True, max_length=100)),
    Column("Artist", "artist_raw", text(required=True, max_length=200)),
    Column("Title", "title", text(max_length=300)),
    Column("ISRC", "isrc", isrc(allow_empty=True)),  # empty only on Album lines (checked in transform)
    Column("UPC", "upc", text(max_length=20)),
    Column("Quantity", "quantity", integer()),
    Column("Team Percentage", "team_pct", decimal_units(scale=4, min_value=0)),
    Column("Song/Album", "song_or_album", enum({"Song", "Album"})),
    Column("Country of Sale", "country_code", country()),
    Column("Songwriter Royalties Withheld", "withheld_usd", decimal_units()),
    Column("Earnings (USD)", "earnings_usd", decimal_units()),
)
HASHED = tuple(c.field for c in COLUMNS)  # the 13 normalised values

FIELDS = {
    "reporting_date": "date", "sale_month": "date", "store": "text", "platform_id": "int", "artist_id": "int",
    "artist_raw": "text", "track_id": "int", "isrc": "text", "upc": "text", "title": "text", "quantity": "int",
    "team_pct": "int", "song_or_album": "text", "country_code": "text", "withheld_usd": "int",
    "earnings_usd": "int", "is_adjustment": "bool", "row_hash": "text", "occurrence": "int",
    "first_seen_file_id": "int", "last_seen_file_id": "int", "retracted_by_file_id": "int",
}
RESOLVED = ("platform_id", "artist_id", "track_id")  # master data may be mapped by staff between loads


def _active() -> tuple[int, object]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(reporting_date) FROM {TABLE} WHERE retracted_by_file_id IS NULL")
        return cursor.fetchone()


def guard(ctx: LoadContext, batch: Batch) -> None:
    if ctx.rows_read == 0:
        raise ctx.reject("header_only_snapshot", "the snapshot holds a header and no rows (line 1)")
    active_rows, active_max = _active()
    if not active_rows:
        return
    file_max = batch.df["reporting_date"].max()
    if pd.notna(file_max) and str(file_max.date()) < str(active_max):
        raise ctx.reject(
            "stale_snapshot",
            f"latest Reporting Date {file_max.date()} is older than the active snapshot's {active_max}",
        )
    if ctx.rows_read < active_rows * (1 - SHRINK_TOLERANCE) and not ctx.options.accept_shrink:
        raise ctx.reject(
            "shrunk_snapshot",
            f"{ctx.rows_read} rows vs {active_rows} active (more than {SHRINK_TOLERANCE:.0%} fewer); "
            "use --accept-shrink if this is intended",
        )


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    sf = ctx.source_file
    missing = (df["isrc"] == "") & (df["song_or_album"] != "Album")
    batch.flag(missing.to_numpy(), column="ISRC", reason="missing_isrc", message="ISRC: missing_isrc ('') on a Song line")
    usable = batch.usable
    good = df.loc[usable, ["artist_raw", "store", "isrc", "title", "upc", "country_code"]]  # not a full copy

    artists = services.artist_alias_resolve(names=good["artist_raw"].unique().tolist(), source_file=sf)
    unmatched = [name for name, artist in artists.items() if artist is None]
    if unmatched:
        ctx.counters["unknown_artist_loaded_null"] += int(good["artist_raw"].isin(unmatched).sum())
    stores = services.store_alias_resolve(stores=good["store"].unique().tolist(), source_file=sf)
    unknown_stores = [store for store, platform in stores.items() if platform is None]
    if unknown_stores:
        ctx.counters["unknown_store_loaded_null"] += int(good["store"].isin(unknown_stores).sum())
    df["artist_id"] = df["artist_raw"].map(artists).astype(object)
    df["platform_id"] = df["store"].map(stores).astype(object)

    with_isrc = good[good["isrc"] != ""].drop_duplicates("isrc")
    tracks = services.track_ensure(
        tracks=[(r.isrc, r.title, r.upc, artists.get(r.artist_raw)) for r in with_isrc.itertuples()], source_file=sf
    )
    df["track_id"] = df["isrc"].map(tracks).astype(object)
    new_countries = services.country_ensure(codes=good["country_code"].unique().tolist())
    if new_countries:
        ctx.counters["countries_added"] += new_countries

    df["is_adjustment"] = (df["earnings_usd"] < 0).fillna(False).astype(bool)
    df["first_seen_file_id"] = sf.pk
    df["last_seen_file_id"] = sf.pk
    df["retracted_by_file_id"] = None
    usable = batch.usable
    hashes, occurrence = row_hashes(df, HASHED, rows=np.flatnonzero(usable))
    df["row_hash"] = None
    df["occurrence"] = 0
    df.loc[usable, "row_hash"] = hashes
    df.loc[usable, "occurrence"] = occurrence
    bad_earnings = df.loc[~usable, "earnings_usd"].dropna()
    ctx.counters["quarantined_usd"] = str(from_units(int(bad_earnings.sum())).normalize()) if len(bad_earnings) else "0"


IDENTITY = {"row_hash": "text", "occurrence": "int", **{c: "int" for c in RESOLVED}, "earnings_usd": "int"}


SEEN = "etl_seen"


def _stage(batch: Batch, columns: dict[str, str], rows: np.ndarray) -> None:
    merge.stage_create(columns)
    merge.stage_fill(batch.df, columns, rows=rows)


def merge_snapshot(ctx: LoadContext, batch: Batch) -> None:
    """Diff the snapshot against the stored identities. Only (row_hash, occurrence, the resolved ids, earnings)
    of every row are staged; full rows are staged and inserted only for identities not stored yet, so a newer
    snapshot's cost follows its changes (plus one identity pass), not its size."""
    sf = ctx.source_file.pk
    rows = np.flatnonzero(batch.usable)
    columns = list(FIELDS)
    names = ", ".join(q(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        first_load = cursor.fetchone() is None
    if first_load:  # every identity is new: stage full rows once
        _stage(batch, FIELDS, rows)
        new_rows, existing, changed, retracted = rows, 0, 0, 0
    else:
        # staged in identity order: the probes below then walk the unique index page by page (at 1M rows it
        # outgrows the page cache, and random probes cost more than the whole merge)
        order = np.argsort(batch.df["row_hash"].to_numpy()[rows], kind="stable")
        _stage(batch, IDENTITY, rows[order])
        del order
        changed_sql = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in RESOLVED)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), coalesce(sum(earnings_usd), 0) FROM {STAGE}")
            staged_rows, staged_units = cursor.fetchone()
            # one probe per identity into the table's unique index: which stored row (if any) each line is
            cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")
            cursor.execute(
                f"CREATE TEMP TABLE {SEEN} AS SELECT s.source_line AS source_line, t.id AS id, "
                f"CASE WHEN t.id IS NULL THEN NULL WHEN t.retracted_by_file_id IS NOT NULL OR {changed_sql} "
                f"THEN 1 ELSE 0 END AS changed, {', '.join(f's.{q(c)} AS {q(c)}' for c in RESOLVED)} "
                f"FROM {STAGE} s LEFT JOIN {TABLE} t ON t.row_hash = s.row_hash AND t.occurrence = s.occurrence"
            )
            cursor.execute(f"SELECT source_line FROM {SEEN} WHERE id IS NULL")
            new_lines = np.sort(np.fromiter((line for (line,) in cursor.fetchall()), dtype=np.int64))
            existing = staged_rows - len(new_lines)
            # present and unchanged: only last_seen_file (the contract); rows are visited in id order
            cursor.execute(
                f"UPDATE {TABLE} SET last_seen_file_id = %s WHERE id IN (SELECT id FROM {SEEN} WHERE changed = 0)",
                [sf],
            )
            # reinstated identities and those whose master data was mapped since: the lineage of an upsert
            cursor.execute(f"SELECT id, {', '.join(q(c) for c in RESOLVED)}, source_line FROM {SEEN} WHERE changed = 1")
            updates = [(*values, sf, ctx.load_run.pk, sf, line, row_id) for row_id, *values, line in cursor.fetchall()]
            changed = len(updates)
            sets = ", ".join(f"{q(c)} = %s" for c in RESOLVED)
            cursor.executemany(
                f"UPDATE {TABLE} SET {sets}, last_seen_file_id = %s, load_run_id = %s, source_file_id = %s, "
                "source_line = %s, retracted_by_file_id = NULL WHERE id = %s",
                updates,
            )
            cursor.execute(f"DROP TABLE {SEEN}")
            # every active identity in the file now has this file as last_seen: the others are gone
            cursor.execute(
                f"UPDATE {TABLE} SET retracted_by_file_id = %s WHERE retracted_by_file_id IS NULL "
                "AND last_seen_file_id <> %s",
                [sf, sf],
            )
            retracted = cursor.rowcount
        lines = batch.df["_line"].to_numpy()  # increasing: a row's line gives its position
        new_rows = np.searchsorted(lines, new_lines)
        _stage(batch, FIELDS, new_rows)
    with connection.cursor() as cursor:
        if first_load:
            cursor.execute(f"SELECT count(*), coalesce(sum(earnings_usd), 0) FROM {STAGE}")
            staged_rows, staged_units = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {TABLE} ({names}, load_run_id, source_file_id, source_line) "
            # in identity order: the unique index is then filled sequentially instead of at random pages
            f"SELECT {names}, %s, %s, source_line FROM {STAGE} ORDER BY row_hash, occurrence",
            [ctx.load_run.pk, sf],
        )
        cursor.execute(f"SELECT count(*), coalesce(sum(earnings_usd), 0) FROM {TABLE} WHERE retracted_by_file_id IS NULL")
        active_rows, active_units = cursor.fetchone()
    ctx.retracted = retracted
    if (active_rows, int(active_units)) != (staged_rows, int(staged_units)):
        raise ctx.reject(
            "checksum_mismatch",
            f"active set {active_rows} rows / {from_units(active_units)} USD after the merge, the file has "
            f"{staged_rows} good rows / {from_units(staged_units)} USD",
        )
    ctx.inserted, ctx.updated, ctx.unchanged = staged_rows - existing, int(changed), existing - int(changed)
    ctx.counters["active_usd"] = str(from_units(active_units).normalize())


SPEC = register(
    SourceSpec(
        kind="dk_bank_details",
        patterns=(r"dk_bank_details\.csv",),
        variants=(Variant("v1", COLUMNS),),
        table=TABLE,
        fields=FIELDS,
        merge="custom",
        snapshot=True,
        transform=transform,
        merge_hook=merge_snapshot,
        stages_itself=True,
        guard=guard,
    )
)
