"""`dk_bank_details.csv`: the DistroKid bank-details export, a full-history snapshot (contract §2.1).

Identity = sha256 of the 13 normalised values + occurrence among identical rows. Each snapshot is diffed
against the active set: rows present in both kept (last_seen_file), new rows inserted, rows gone retracted
(never deleted), retracted rows that come back reinstated. Guards: header-only, stale and shrunk snapshots; a
checksum (row count and exact Σ earnings) before commit. Unknown stores and artists are queued for staff and the
row loads with platform / artist NULL; a new ISRC creates its track (needs_review).

Two of the pipeline's steps: `stage_snapshot` (the `stream` hook) runs BEFORE the file's transaction,
so without the database's write lock: it streams the file chunk by chunk (raw fingerprints, etl/sources/
_dk_fingerprints.py: a byte-identical record keeps its active row unparsed; the others are parsed, validated,
looked up, hashed and staged in TEMP tables), checks the guards and matches the stage to the stored rows by
identity. `merge_snapshot` (the `upsert` hook) is the short final merge inside the transaction: master data
settled, the delta written, the aggregates moved, the sums checked.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from django.db import connection, transaction

from etl import merge
from etl.merge import STAGE, q
from etl.pipeline import Batch, LoadContext, check_bad_ratio, parse_rows, row_hashes
from etl.readers import CsvFile
from etl.sources import Column, SourceSpec, Variant, register
from etl.sources._dk_fingerprints import TABLE, ActiveRows, fingerprint_salt, fingerprints
from etl.validation import country, date, decimal_units, enum, integer, isrc, text
from warehouse import services
from warehouse.fields import from_units
from warehouse.models import Track

SHRINK_TOLERANCE = 0.05
UNKEPT, CANDIDATES, SEEN, GONE = "etl_unkept", "etl_candidates", "etl_seen", "etl_gone"
CHANGED, TOUCHED, ORDERED = "etl_changed", "etl_touched", "etl_ordered"
# EXISTS (an anti-join, or one index probe per row), never `id [NOT] IN (SELECT …)` over these ids: PostgreSQL
# hashes such a subquery only while it fits work_mem, and otherwise rescans it for every row (a reformatted
# 1M-row snapshot ran for over 5 minutes).
_KEPT = f"NOT EXISTS (SELECT 1 FROM {UNKEPT} u WHERE u.id = t.id)"

COLUMNS = (
    Column("Reporting Date", "reporting_date", date()),
    Column("Sale Month", "sale_month", date(fmt="%Y-%m")),
    Column("Store", "store", text(required=True, max_length=100)),
    Column("Artist", "artist_raw", text(required=True, max_length=200)),
    Column("Title", "title", text(max_length=300)),
    Column("ISRC", "isrc", isrc(allow_empty=True)),  # empty only on Album lines (checked in _transform)
    Column("UPC", "upc", text(max_length=20)),
    Column("Quantity", "quantity", integer()),
    Column("Team Percentage", "team_pct", decimal_units(scale=4, min_value=0)),
    Column("Song/Album", "song_or_album", enum({"Song", "Album"})),
    Column("Country of Sale", "country_code", country()),
    Column("Songwriter Royalties Withheld", "withheld_usd", decimal_units()),
    Column("Earnings (USD)", "earnings_usd", decimal_units()),
)
HASHED = tuple(c.field for c in COLUMNS)  # the 13 normalised values

# Staged per parsed row; occurrence and lineage are set by the merge.
STAGED = {
    "reporting_date": "date",
    "sale_month": "date",
    "store": "text",
    "platform_id": "int",
    "artist_id": "int",
    "artist_raw": "text",
    "track_id": "int",
    "isrc": "text",
    "upc": "text",
    "title": "text",
    "quantity": "int",
    "team_pct": "int",
    "song_or_album": "text",
    "country_code": "text",
    "withheld_usd": "int",
    "earnings_usd": "int",
    "is_adjustment": "bool",
    "row_hash": "text",
    "raw_fingerprint": "bytes",
}
RESOLVED = ("platform_id", "artist_id", "track_id")  # master data may be mapped by staff between loads


# --- master data ----------------------------------------------------------------------------------------------------


class _MasterData:
    """Names looked up once per file before its transaction (reads only: the ids are staged with the rows), then
    settled inside it: unknown names queued for staff, new ISRCs' tracks created, countries added. An answer that
    differs by then (a track created now, a mapping staff saved meanwhile) is corrected in the stage (`_restage`)."""

    def __init__(self):
        self.artists: dict[str, int | None] = {}
        self.stores: dict[str, int | None] = {}
        self.tracks: dict[str, int | None] = {}
        self.isrcs: dict[str, tuple[str, str, str]] = {}  # ISRC → (title, upc, raw artist) of its first good line
        self.countries: set[str] = set()
        self.artist_lines: Counter = Counter()  # parsed good lines per raw name / store (the unknown_* counters)
        self.store_lines: Counter = Counter()

    def look_up(self, good: pd.DataFrame) -> None:
        if names := [n for n in good["artist_raw"].unique().tolist() if n not in self.artists]:
            self.artists.update(services.artist_alias_resolve(names=names, queue=False))
        if stores := [s for s in good["store"].unique().tolist() if s not in self.stores]:
            self.stores.update(services.store_alias_resolve(stores=stores, queue=False))
        new = good[(good["isrc"] != "") & ~good["isrc"].isin(self.isrcs)].drop_duplicates("isrc")
        if len(new):
            known = dict(Track.objects.filter(isrc__in=new["isrc"].tolist()).values_list("isrc", "id"))
            for r in new.itertuples():
                self.isrcs[r.isrc] = (r.title, r.upc, r.artist_raw)
                self.tracks[r.isrc] = known.get(r.isrc)
        self.countries |= set(good["country_code"].unique().tolist())
        self.artist_lines.update(good["artist_raw"].value_counts().to_dict())
        self.store_lines.update(good["store"].value_counts().to_dict())

    def settle(self, ctx: LoadContext) -> list[tuple[str, str, dict]]:
        """Inside the transaction: resolve for good; returns (column, key column, {key: id}) of the answers that
        changed since `look_up`."""
        sf = ctx.source_file
        artists = services.artist_alias_resolve(names=list(self.artists), source_file=sf)
        stores = services.store_alias_resolve(stores=list(self.stores), source_file=sf)
        tracks = services.track_ensure(
            tracks=[(isrc, title, upc, artists.get(raw)) for isrc, (title, upc, raw) in self.isrcs.items()],
            source_file=sf,
        )
        if added := services.country_ensure(codes=list(self.countries)):
            ctx.counters["countries_added"] += added
        for counter, lines, resolved in (
            ("unknown_artist_loaded_null", self.artist_lines, artists),
            ("unknown_store_loaded_null", self.store_lines, stores),
        ):
            if unknown := sum(count for name, count in lines.items() if resolved.get(name) is None):
                ctx.counters[counter] += unknown
        changes = []
        for column, key, before, now in (
            ("artist_id", "artist_raw", self.artists, artists),
            ("platform_id", "store", self.stores, stores),
            ("track_id", "isrc", self.tracks, tracks),
        ):
            if changed := {k: v for k, v in now.items() if before.get(k) != v}:
                changes.append((column, key, changed))
        return changes


def _transform(ctx: LoadContext, batch: Batch, master: _MasterData) -> None:
    df = batch.df
    missing = (df["isrc"] == "") & (df["song_or_album"] != "Album")
    batch.flag(
        missing.to_numpy(), column="ISRC", reason="missing_isrc", message="ISRC: missing_isrc ('') on a Song line"
    )
    usable = batch.usable
    master.look_up(df.loc[usable, ["artist_raw", "store", "isrc", "title", "upc", "country_code"]])
    df["artist_id"] = df["artist_raw"].map(master.artists).astype(object)
    df["platform_id"] = df["store"].map(master.stores).astype(object)
    df["track_id"] = df["isrc"].map(master.tracks).astype(object)
    df["is_adjustment"] = (df["earnings_usd"] < 0).fillna(False).astype(bool)
    hashes, _ = row_hashes(df, HASHED, rows=np.flatnonzero(usable))  # occurrences are numbered by the merge
    df["row_hash"] = None
    df.loc[usable, "row_hash"] = hashes


# --- before the transaction: read, validate, stage, diff by identity ------------------------------------------------


def _active() -> tuple[int, str, int]:
    """(rows, latest Reporting Date, Σ earnings units) of the active set."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(reporting_date), coalesce(sum(earnings_usd), 0) FROM {TABLE} "
            "WHERE retracted_by_file_id IS NULL"
        )
        rows, latest, units = cursor.fetchone()
    return rows, str(latest or ""), int(units)


def _guard(ctx: LoadContext, *, file_max: pd.Timestamp | None, active_rows: int, active_max: str) -> None:
    """Header-only, stale and shrunk snapshots. The file's latest date is that of its parsed rows or of the active
    rows its records kept (all active rows but those in `etl_unkept`)."""
    if ctx.rows_read == 0:
        raise ctx.reject("header_only_snapshot", "the snapshot holds a header and no rows (line 1)")
    if not active_rows:
        return
    parsed_max = str(file_max.date()) if file_max is not None else ""
    if parsed_max < active_max:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max(reporting_date) FROM {TABLE} t WHERE retracted_by_file_id IS NULL AND {_KEPT}")
            latest = max(parsed_max, str(cursor.fetchone()[0] or ""))
        if latest < active_max:
            raise ctx.reject(
                "stale_snapshot", f"latest Reporting Date {latest} is older than the active snapshot's {active_max}"
            )
    if ctx.rows_read < active_rows * (1 - SHRINK_TOLERANCE) and not ctx.options.accept_shrink:
        raise ctx.reject(
            "shrunk_snapshot",
            f"{ctx.rows_read} rows vs {active_rows} active (more than {SHRINK_TOLERANCE:.0%} fewer); "
            "use --accept-shrink if this is intended",
        )


def stage_snapshot(ctx: LoadContext, csv_file: CsvFile, variant: Variant, position: dict[str, int]) -> Batch:
    """Before the file's transaction, so without the database's write lock (reads, and writes to TEMP tables
    only): fingerprint, parse, validate, look up and stage the records, check the guards, and match the stage to
    the stored rows by identity. Returns the rows to quarantine; `merge_snapshot` finishes inside the transaction.
    Only loads change identities, and loads are serialized by the load lock, so the match still holds there."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        first_load = cursor.fetchone() is None
    active = ActiveRows.load()
    salt = fingerprint_salt(csv_file.header)
    master = _MasterData()
    merge.stage_create(STAGED)
    bad_rows: list[pd.DataFrame] = []
    errors: dict[int, list[tuple[str, str, str]]] = {}  # by position among the bad rows
    records = staged_rows = staged_units = 0
    file_max = None
    pending: tuple[list, list, list] = ([], [], [])  # records to parse (rows, lines, digests), batched across chunks

    def parse_pending() -> None:
        nonlocal staged_rows, staged_units, file_max
        rows, lines, digests = pending
        errors_here: dict[int, list[tuple[str, str, str]]] = {}
        batch = Batch(pd.DataFrame(parse_rows(ctx, variant, position, rows, lines, errors_here)), errors_here, variant)
        batch.df["raw_fingerprint"] = pd.Series(digests, dtype=object)
        for part in pending:
            part.clear()
        _transform(ctx, batch, master)
        df, usable = batch.df, batch.usable
        staged_rows += merge.stage_fill(df, STAGED, rows=np.flatnonzero(usable))
        staged_units += int(df.loc[usable, "earnings_usd"].sum())
        latest = df["reporting_date"].max()
        if pd.notna(latest) and (file_max is None or latest > file_max):
            file_max = latest
        bad = np.flatnonzero(~usable)
        for row in bad:  # positions in the quarantine batch, which holds only the bad rows
            errors[len(errors)] = batch.errors[int(row)]
        if len(bad):
            bad_rows.append(df.loc[bad, ["_line", "earnings_usd"]])

    for chunk in csv_file.chunks:
        records += len(chunk.rows)
        digests = fingerprints(chunk.rows, salt)
        for i in np.flatnonzero(~active.keep(digests)):
            pending[0].append(chunk.rows[i])
            pending[1].append(chunk.lines[i])
            pending[2].append(digests[i])
        if len(pending[0]) >= merge.STAGE_BATCH:
            parse_pending()
    if pending[0]:
        parse_pending()
    ctx.malformed = csv_file.malformed
    ctx.rows_read = records + len(ctx.malformed)
    quarantine = Batch(
        pd.concat(bad_rows, ignore_index=True) if bad_rows else pd.DataFrame({"_line": pd.Series(dtype=np.int64)}),
        errors,
        variant,
    )
    bad_units = sum(int(part["earnings_usd"].dropna().sum()) for part in bad_rows)
    ctx.counters["quarantined_usd"] = str(from_units(bad_units).normalize())
    active_rows, active_max, active_units = (0, "", 0) if first_load else _active()
    if not first_load:
        _stage_ids(UNKEPT, active.unkept_ids())
    del active
    _guard(ctx, file_max=file_max, active_rows=active_rows, active_max=active_max)
    check_bad_ratio(ctx, quarantine)  # early: a hopeless file is not matched
    ctx.state.update(
        master=master, first_load=first_load, active_rows=active_rows, staged=(staged_rows, staged_units), kept=(0, 0)
    )
    if first_load:
        _order_for_insert()
    else:
        ctx.state["kept"] = _match(active_rows, active_units)
    return quarantine


def _order_for_insert() -> None:
    """Empty table: every staged row is new. Occurrences are numbered in file order among identical rows, and the
    rows put in identity order (so the insert fills the unique index page by page), before the transaction."""
    names = ", ".join(q(c) for c in STAGED)
    with connection.cursor() as cursor, merge.temp_only(cursor):
        cursor.execute(f"DROP TABLE IF EXISTS {ORDERED}")
        cursor.execute(
            f"CREATE TEMP TABLE {ORDERED} AS SELECT {names}, "
            "ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY source_line) AS occurrence, source_line "
            f"FROM {STAGE} ORDER BY row_hash, source_line"
        )
        cursor.execute(f"DROP TABLE {STAGE}")


def _stage_ids(table: str, ids: np.ndarray) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {table} (id BIGINT PRIMARY KEY)")
        for start in range(0, len(ids), merge.STAGE_BATCH):
            merge.insert_rows(cursor, table, ["id"], [(i,) for i in ids[start : start + merge.STAGE_BATCH].tolist()])
        merge.analyze(cursor, table)


def _match(active_rows: int, active_units: int) -> tuple[int, int]:
    """Each parsed row takes the next stored row of its identity that no record kept (`etl_seen.id`), or the next
    free occurrence (`etl_seen.occurrence`, id NULL: a new row); unkept rows no parsed row took are gone
    (`etl_gone`). Returns the kept rows' (count, Σ earnings units) for the checksum."""
    keys = (*RESOLVED, "store", "artist_raw", "isrc")  # the resolved ids and their keys, for `_restage`
    with connection.cursor() as cursor, merge.temp_only(cursor):
        merge.analyze(cursor, STAGE)
        cursor.execute(
            f"SELECT count(*), coalesce(sum(t.earnings_usd), 0) FROM {UNKEPT} u JOIN {TABLE} t ON t.id = u.id"
        )
        unkept_rows, unkept_units = cursor.fetchone()
        # The stored rows a parsed row may take, in a table indexed by (identity, turn): as a CTE, SQLite with
        # planner statistics joined it by scanning it once per staged row (minutes for 20,000 rows).
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(
            f"CREATE TEMP TABLE {CANDIDATES} AS SELECT id, row_hash, "
            f"  ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY occurrence) AS turn FROM {TABLE} t "
            f"  WHERE row_hash IN (SELECT row_hash FROM {STAGE}) "
            f"  AND (retracted_by_file_id IS NOT NULL OR NOT {_KEPT})"
        )
        cursor.execute(f"CREATE INDEX {CANDIDATES}_turn ON {CANDIDATES} (row_hash, turn)")
        merge.analyze(cursor, CANDIDATES)
        cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")
        cursor.execute(
            f"CREATE TEMP TABLE {SEEN} AS "
            f"WITH s AS (SELECT source_line, row_hash, {', '.join(q(c) for c in keys)}, raw_fingerprint, "
            f"  ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY source_line) AS turn FROM {STAGE}), "
            f"c AS (SELECT * FROM {CANDIDATES}), "
            f"n AS (SELECT row_hash, count(*) AS free FROM c GROUP BY row_hash) "
            f"SELECT s.source_line AS source_line, c.id AS id, "
            f"  CASE WHEN c.id IS NULL THEN (SELECT coalesce(max(t.occurrence), 0) FROM {TABLE} t "
            f"    WHERE t.row_hash = s.row_hash) + s.turn - coalesce(n.free, 0) END AS occurrence, "
            f"  {', '.join(f's.{q(c)} AS {q(c)}' for c in keys)}, s.raw_fingerprint AS raw_fingerprint "
            f"FROM s LEFT JOIN c ON c.row_hash = s.row_hash AND c.turn = s.turn LEFT JOIN n ON n.row_hash = s.row_hash "
            "ORDER BY c.id"  # the merge's updates then walk royalty_line page by page
        )
        cursor.execute(f"CREATE INDEX {SEEN}_id ON {SEEN} (id)")
        merge.analyze(cursor, SEEN)
        cursor.execute(f"DROP TABLE IF EXISTS {GONE}")
        cursor.execute(
            f"CREATE TEMP TABLE {GONE} AS SELECT id FROM {UNKEPT} u "
            f"WHERE NOT EXISTS (SELECT 1 FROM {SEEN} s WHERE s.id = u.id)"
        )
        cursor.execute(f"DROP TABLE {CANDIDATES}")
    return active_rows - unkept_rows, active_units - int(unkept_units)


# --- inside the transaction: the short final merge ------------------------------------------------------------------

_LINEAGE = "occurrence, first_seen_file_id, last_seen_file_id, load_run_id, source_file_id, source_line"


def merge_snapshot(ctx: LoadContext) -> tuple[int, int, int]:
    """Apply what `stage_snapshot` prepared: settle master data, write the delta, check the sums."""
    state = ctx.state
    (staged_rows, staged_units), (kept_rows, kept_units) = state["staged"], state["kept"]
    tables = (ORDERED,) if state["first_load"] else (STAGE, SEEN)
    with connection.cursor() as cursor:
        for column, key, changed in state["master"].settle(ctx):
            _restage(cursor, tables, column=column, key=key, changed=changed)
    if state["first_load"]:
        _insert_all(ctx, staged_rows)
    else:
        _diff(ctx, kept_rows=kept_rows, active_rows=state["active_rows"])
    _checksum(ctx, expected=(kept_rows + staged_rows, kept_units + staged_units))
    transaction.on_commit(_drop_staged)  # after the commit: dropping a million staged rows takes a second
    return ctx.inserted, ctx.updated, ctx.unchanged


def _drop_staged() -> None:
    with connection.cursor() as cursor, merge.temp_only(cursor):
        for table in (UNKEPT, SEEN, GONE, STAGE, ORDERED):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _restage(cursor, tables: tuple[str, ...], *, column: str, key: str, changed: dict) -> None:
    """Set `column` to the settled id of each changed `key` in the staged rows."""
    cursor.execute("DROP TABLE IF EXISTS etl_settled")
    cursor.execute("CREATE TEMP TABLE etl_settled (k TEXT PRIMARY KEY, v BIGINT)")
    merge.insert_rows(cursor, "etl_settled", ["k", "v"], list(changed.items()))
    for table in tables:
        cursor.execute(
            f"UPDATE {table} SET {q(column)} = (SELECT f.v FROM etl_settled f WHERE f.k = {table}.{q(key)}) "
            f"WHERE {q(key)} IN (SELECT k FROM etl_settled)"
        )
    cursor.execute("DROP TABLE etl_settled")


def _insert_all(ctx: LoadContext, staged_rows: int) -> None:
    """Empty table: insert the rows `_order_for_insert` numbered, in the order they were written there."""
    sf, names = ctx.source_file.pk, ", ".join(q(c) for c in STAGED)
    with connection.cursor() as cursor, merge.foreign_keys_checked_once(cursor, table=TABLE):
        cursor.execute(
            f"INSERT INTO {TABLE} ({names}, {_LINEAGE}) SELECT {names}, occurrence, %s, %s, %s, %s, source_line "
            f"FROM {ORDERED}",
            [sf, sf, ctx.load_run.pk, sf],
        )
    ctx.inserted, ctx.updated, ctx.unchanged, ctx.retracted = staged_rows, 0, 0, 0


def _diff(ctx: LoadContext, *, kept_rows: int, active_rows: int) -> None:
    """Kept rows (every active row not in `etl_unkept`) get last_seen_file; matched rows are present (lineage and
    fingerprint), or changed (reinstated, or staff's mappings moved their ids: read here, under the lock); gone
    rows are retracted, new ones inserted. The aggregates get the touched rows' contribution before and after."""
    sf, run = ctx.source_file.pk, ctx.load_run.pk
    names = ", ".join(q(c) for c in STAGED)
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in RESOLVED)
    mapped_stores, mapped_artists = _remapped()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CHANGED}")
        cursor.execute(f"CREATE TEMP TABLE {CHANGED} (id BIGINT PRIMARY KEY)")
        cursor.execute(
            f"INSERT INTO {CHANGED} SELECT s.id FROM {SEEN} s JOIN {TABLE} t ON t.id = s.id "
            f"WHERE t.retracted_by_file_id IS NOT NULL OR {changed}"
        )
        cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
        cursor.execute(f"CREATE TEMP TABLE {TOUCHED} AS SELECT id FROM {GONE} UNION SELECT id FROM {CHANGED}")
        if mapped_stores or mapped_artists:
            cursor.execute(
                f"INSERT INTO {TOUCHED} {_remapped_lines(mapped_stores, mapped_artists)}",
                [*mapped_stores, *mapped_artists],
            )
        cursor.execute(f"SELECT count(*) FROM {TOUCHED}")
        # a snapshot that moves most lines' contribution: a rebuild is cheaper
        incremental = cursor.fetchone()[0] <= active_rows // 4
        if incremental:
            services.royalty_aggregates_delta(sign=-1, line_ids=f"SELECT id FROM {TOUCHED}")
        with merge.foreign_keys_checked_once(cursor, table=TABLE, columns=["last_seen_file_id"]):  # once, not per row
            cursor.execute(
                f"UPDATE {TABLE} AS t SET last_seen_file_id = %s WHERE retracted_by_file_id IS NULL AND {_KEPT}",
                [sf],
            )
        # present: unchanged rows only learn the file and their new fingerprint; changed ones take its lineage
        cursor.execute(
            f"UPDATE {TABLE} AS t SET last_seen_file_id = %s, raw_fingerprint = s.raw_fingerprint "
            f"FROM {SEEN} AS s WHERE s.id = t.id AND NOT EXISTS (SELECT 1 FROM {CHANGED} c WHERE c.id = s.id)",
            [sf],
        )
        present = cursor.rowcount
        cursor.execute(
            f"UPDATE {TABLE} AS t SET {', '.join(f'{q(c)} = s.{q(c)}' for c in (*RESOLVED, 'raw_fingerprint'))}, "
            "last_seen_file_id = %s, load_run_id = %s, source_file_id = %s, source_line = s.source_line, "
            f"retracted_by_file_id = NULL FROM {SEEN} AS s JOIN {CHANGED} AS c ON c.id = s.id WHERE s.id = t.id",
            [sf, run, sf],
        )
        updated = cursor.rowcount
        cursor.execute(
            f"UPDATE {TABLE} SET retracted_by_file_id = %s WHERE id IN (SELECT id FROM {GONE}) "
            "AND retracted_by_file_id IS NULL",
            [sf],
        )
        ctx.retracted = cursor.rowcount
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}")
        (last_id,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {TABLE} ({names}, {_LINEAGE}) SELECT {', '.join(f's.{q(c)}' for c in STAGED)}, "
            f"n.occurrence, %s, %s, %s, %s, s.source_line FROM {STAGE} s JOIN {SEEN} n ON n.source_line = s.source_line "
            "WHERE n.id IS NULL ORDER BY s.row_hash, n.occurrence",
            [sf, sf, run, sf],
        )
        ctx.inserted = cursor.rowcount
        remapped = _apply_remapped(cursor, mapped_stores, mapped_artists)
        if incremental:
            services.royalty_aggregates_delta(
                sign=1,
                line_ids=f"SELECT id FROM {TOUCHED} UNION ALL SELECT id FROM {TABLE} WHERE id > %s",
                params=(last_id,),
            )
        for table in (CHANGED, TOUCHED):
            cursor.execute(f"DROP TABLE {table}")
    ctx.updated = updated + remapped
    ctx.unchanged = kept_rows + present - remapped


def _remapped() -> tuple[list[str], dict[str, int]]:
    """Raw stores and artist names of unresolved lines that staff have mapped since: kept rows are not parsed again,
    and a mapping saved outside `artist_alias_map` / `store_alias_map` (a bulk edit, an import) skips the facts.
    The (platform|artist, sale_month) indexes find the NULLs."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT store FROM {TABLE} WHERE platform_id IS NULL")
        stores = [s for (s,) in cursor.fetchall()]
        cursor.execute(f"SELECT DISTINCT artist_raw FROM {TABLE} WHERE artist_id IS NULL")
        names = [n for (n,) in cursor.fetchall()]
    platforms = services.store_alias_resolve(stores=stores, queue=False) if stores else {}
    artists = services.artist_alias_resolve(names=names, queue=False) if names else {}
    return (
        sorted(s for s, platform in platforms.items() if platform is not None),
        {name: artist for name, artist in sorted(artists.items()) if artist is not None},
    )


def _remapped_lines(stores: list[str], artists: dict[str, int]) -> str:
    """SELECT of the active lines `_remapped` will resolve (parameters: the stores, then the names)."""
    return (
        f"SELECT id FROM {TABLE} WHERE retracted_by_file_id IS NULL AND ("
        f"(platform_id IS NULL AND store IN ({', '.join(['%s'] * len(stores)) or 'NULL'})) OR "
        f"(artist_id IS NULL AND artist_raw IN ({', '.join(['%s'] * len(artists)) or 'NULL'})))"
    )


def _apply_remapped(cursor, stores: list[str], artists: dict[str, int]) -> int:
    """Resolve the lines `_remapped` found; returns how many lines changed."""
    if not stores and not artists:
        return 0
    cursor.execute(f"SELECT count(*) FROM ({_remapped_lines(stores, artists)}) r", [*stores, *artists])
    (count,) = cursor.fetchone()
    for store in stores:
        cursor.execute(
            f"UPDATE {TABLE} SET platform_id = (SELECT platform_id FROM store_alias WHERE store = %s) "
            "WHERE store = %s AND platform_id IS NULL AND retracted_by_file_id IS NULL",
            [store, store],
        )
    for name, artist in artists.items():
        cursor.execute(
            f"UPDATE {TABLE} SET artist_id = %s WHERE artist_raw = %s AND artist_id IS NULL "
            "AND retracted_by_file_id IS NULL",
            [artist, name],
        )
    return int(count)


def _checksum(ctx: LoadContext, *, expected: tuple[int, int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(earnings_usd), 0) FROM {TABLE} WHERE retracted_by_file_id IS NULL"
        )
        active_rows, active_units = cursor.fetchone()
    if (active_rows, int(active_units)) != expected:
        raise ctx.reject(
            "checksum_mismatch",
            f"active set {active_rows} rows / {from_units(active_units)} USD after the merge, the file has "
            f"{expected[0]} good rows / {from_units(expected[1])} USD",
        )
    ctx.counters["active_usd"] = str(from_units(active_units).normalize())


SPEC = register(
    SourceSpec(
        kind="dk_bank_details",
        patterns=(r"dk_bank_details\.csv",),
        variants=(Variant("v1", COLUMNS),),
        table=TABLE,
        snapshot=True,
        stream=stage_snapshot,
        stream_merge=merge_snapshot,
    )
)
