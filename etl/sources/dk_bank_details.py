"""`dk_bank_details.csv`: the DistroKid bank-details export, a full-history snapshot (contract §2.1).

Identity = sha256 of the 13 normalised values + occurrence among identical rows. Each snapshot is diffed
against the active set: rows present in both kept (last_seen_file), new rows inserted, rows gone retracted
(never deleted), retracted rows that come back reinstated. Guards: header-only, stale and shrunk snapshots; a
checksum (row count and exact Σ earnings) before commit. Unknown stores and artists are queued for staff and the
row loads with platform / artist NULL; a new ISRC creates its track (needs_review).

The file streams chunk by chunk (read, validate, resolve, hash, stage), so memory does not grow with it. A newer
snapshot repeats the whole history, so each record is first looked up by its raw fingerprint (blake2b of the
fields as read, keyed by the header and FINGERPRINT_VERSION): a record byte-identical to an active row's keeps
that row unparsed, since identical text gives identical normalised values and so the same identity. Only the
other records are parsed, validated, hashed and diffed by identity, so a newer snapshot costs what changed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from django.db import connection

from etl import merge
from etl.merge import STAGE, q
from etl.pipeline import Batch, LoadContext, check_bad_ratio, parse_rows, row_hashes
from etl.readers import CsvFile
from etl.sources import Column, SourceSpec, Variant, register
from etl.validation import country, date, decimal_units, enum, integer, isrc, text
from warehouse import services
from warehouse.fields import from_units

TABLE = "royalty_line"
SHRINK_TOLERANCE = 0.05
FINGERPRINT_VERSION = b"dk-1"  # bump when parsing or normalisation changes: every record is then parsed again
SEPARATOR = "\x1f"
UNKEPT, CANDIDATES, SEEN, TOUCHED = "etl_unkept", "etl_candidates", "etl_seen", "etl_touched"
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


# --- raw fingerprints ----------------------------------------------------------------------------------------------


def _fingerprint_salt(header: list[str]) -> bytes:
    """Same text under another header (reordered columns) must not match: the header salts every fingerprint."""
    return hashlib.blake2b(SEPARATOR.join(header).encode(), digest_size=16).digest()


def _fingerprints(rows: list[list[str]], salt: bytes) -> list[bytes | None]:
    """blake2b-128 of each record's fields; None when a field holds the separator (the join would be ambiguous)."""
    blake, width = hashlib.blake2b, len(rows[0]) if rows else 0
    digests = []
    for row in rows:
        joined = SEPARATOR.join(row)
        digests.append(
            blake(joined.encode(), digest_size=16, salt=salt, person=FINGERPRINT_VERSION).digest()
            if joined.count(SEPARATOR) == width - 1
            else None
        )
    return digests


def _halves(digests) -> tuple[np.ndarray, np.ndarray]:
    """16-byte digests → (first, second) 8 bytes as big-endian integers: sorting by both sorts the bytes."""
    both = np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64).reshape(-1, 2)
    return both[:, 0], both[:, 1]


class _ActiveRows:
    """Every active row's id, and for those with a fingerprint the sorted fingerprints (identical ones by
    occurrence): the rows that byte-identical records of the new snapshot keep, each at most once."""

    FETCH = 50_000

    def __init__(self, high: np.ndarray, low: np.ndarray, ids: np.ndarray, unmatchable: np.ndarray):
        self.high, self.low, self.ids, self.unmatchable = high, low, ids, unmatchable
        same = (high[1:] == high[:-1]) & (low[1:] == low[:-1])
        starts = np.flatnonzero(np.r_[True, ~same]) if len(ids) else np.empty(0, dtype=np.int64)
        self.run_end = np.zeros(len(ids), dtype=np.int64)  # at each run's first position: one past its last
        self.run_end[starts] = np.r_[starts[1:], len(ids)]
        self.taken = np.zeros(len(ids), dtype=np.int64)  # at each run's first position: rows kept so far
        self.kept: list[np.ndarray] = []

    @classmethod
    def load(cls) -> _ActiveRows:
        parts: list[tuple] = []
        unmatchable: list[int] = []
        with connection.chunked_cursor() as cursor:  # server-side on PostgreSQL: rows arrive FETCH at a time
            cursor.execute(f"SELECT raw_fingerprint, id, occurrence FROM {TABLE} WHERE retracted_by_file_id IS NULL")
            while part := cursor.fetchmany(cls.FETCH):  # numpy arrays, never a million Python tuples at once
                digests, ids, occurrences = zip(*part)
                if None in digests:  # rows loaded before fingerprints existed, or whose text had the separator
                    unmatchable += [row[1] for row in part if row[0] is None]
                    part = [row for row in part if row[0] is not None]
                    if not part:
                        continue
                    digests, ids, occurrences = zip(*part)
                if not isinstance(digests[0], bytes):  # PostgreSQL may hand bytea as memoryview
                    digests = [bytes(d) for d in digests]
                high, low = _halves(digests)
                parts.append((high, low, np.array(ids, dtype=np.int64), np.array(occurrences, dtype=np.int64)))
        if not parts:
            parts.append((np.empty(0, np.uint64), np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)))
        high, low, ids, occurrences = (np.concatenate(column) for column in zip(*parts))
        order = np.lexsort((occurrences, low, high))
        return cls(high[order], low[order], ids[order], np.array(unmatchable, dtype=np.int64))

    def keep(self, digests: list[bytes | None]) -> np.ndarray:
        """Which records keep an active row (they are not parsed); the kept positions are remembered."""
        keeps = np.zeros(len(digests), dtype=bool)
        usable = np.flatnonzero([d is not None for d in digests])
        if not len(self.ids) or not len(usable):
            return keeps
        high, low = _halves([digests[i] for i in usable])
        first = np.searchsorted(self.high, high, side="left")
        at = np.minimum(first, len(self.ids) - 1)
        found = np.flatnonzero((self.high[at] == high) & (self.low[at] == low))
        starts = first[found]
        turn = pd.Series(starts).groupby(starts).cumcount().to_numpy()  # identical records in this chunk, in order
        position = starts + self.taken[starts] + turn
        fits = position < self.run_end[starts]
        keeps[usable[found[fits]]] = True
        self.kept.append(position[fits])
        np.add.at(self.taken, starts, 1)
        return keeps

    def unkept_ids(self) -> np.ndarray:
        """Active rows no record kept: present under another text, gone, or without a fingerprint."""
        mask = np.ones(len(self.ids), dtype=bool)
        if self.kept:
            mask[np.concatenate(self.kept)] = False
        return np.sort(np.concatenate([self.ids[mask], self.unmatchable]))


# --- one chunk ------------------------------------------------------------------------------------------------------


class _MasterData:
    """Names resolved once per file (the services queue unknown ones for staff); chunks reuse the answers."""

    def __init__(self, ctx: LoadContext):
        self.ctx = ctx
        self.artists: dict[str, int | None] = {}
        self.stores: dict[str, int | None] = {}
        self.tracks: dict[str, int] = {}
        self.countries: set[str] = set()

    def resolve(self, good: pd.DataFrame) -> None:
        sf = self.ctx.source_file
        if names := [n for n in good["artist_raw"].unique().tolist() if n not in self.artists]:
            self.artists.update(services.artist_alias_resolve(names=names, source_file=sf))
        if stores := [s for s in good["store"].unique().tolist() if s not in self.stores]:
            self.stores.update(services.store_alias_resolve(stores=stores, source_file=sf))
        new_tracks = good[(good["isrc"] != "") & ~good["isrc"].isin(self.tracks)].drop_duplicates("isrc")
        if len(new_tracks):
            self.tracks.update(
                services.track_ensure(
                    tracks=[(r.isrc, r.title, r.upc, self.artists.get(r.artist_raw)) for r in new_tracks.itertuples()],
                    source_file=sf,
                )
            )
        if codes := set(good["country_code"].unique().tolist()) - self.countries:
            if added := services.country_ensure(codes=list(codes)):
                self.ctx.counters["countries_added"] += added
            self.countries |= codes


def _transform(ctx: LoadContext, batch: Batch, master: _MasterData) -> None:
    df = batch.df
    missing = (df["isrc"] == "") & (df["song_or_album"] != "Album")
    batch.flag(
        missing.to_numpy(), column="ISRC", reason="missing_isrc", message="ISRC: missing_isrc ('') on a Song line"
    )
    usable = batch.usable
    good = df.loc[usable, ["artist_raw", "store", "isrc", "title", "upc", "country_code"]]
    master.resolve(good)
    unmatched = [name for name, artist in master.artists.items() if artist is None]
    if unmatched:
        ctx.counters["unknown_artist_loaded_null"] += int(good["artist_raw"].isin(unmatched).sum())
    unknown_stores = [store for store, platform in master.stores.items() if platform is None]
    if unknown_stores:
        ctx.counters["unknown_store_loaded_null"] += int(good["store"].isin(unknown_stores).sum())
    df["artist_id"] = df["artist_raw"].map(master.artists).astype(object)
    df["platform_id"] = df["store"].map(master.stores).astype(object)
    df["track_id"] = df["isrc"].map(master.tracks).astype(object)
    df["is_adjustment"] = (df["earnings_usd"] < 0).fillna(False).astype(bool)
    hashes, _ = row_hashes(df, HASHED, rows=np.flatnonzero(usable))  # occurrences are numbered by the merge
    df["row_hash"] = None
    df.loc[usable, "row_hash"] = hashes


# --- the file -------------------------------------------------------------------------------------------------------


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


def load_snapshot(ctx: LoadContext, csv_file: CsvFile, variant: Variant, position: dict[str, int]) -> Batch:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        first_load = cursor.fetchone() is None
    active = _ActiveRows.load()
    salt = _fingerprint_salt(csv_file.header)
    master = _MasterData(ctx)
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
        digests = _fingerprints(chunk.rows, salt)
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
    check_bad_ratio(ctx, quarantine)
    kept_rows, kept_units = _insert_all(ctx, staged_rows) if first_load else _diff(ctx, active_rows, active_units)
    _checksum(ctx, expected=(kept_rows + staged_rows, kept_units + staged_units))
    merge.stage_drop()
    return quarantine


# --- the merge ------------------------------------------------------------------------------------------------------

_LINEAGE = "occurrence, first_seen_file_id, last_seen_file_id, load_run_id, source_file_id, source_line"


def _insert_all(ctx: LoadContext, staged_rows: int) -> tuple[int, int]:
    """Empty table: every staged row is new. Occurrences are numbered in file order among identical rows, and rows
    go in identity order, so the unique index is filled page by page. Returns the kept rows' (count, Σ): none."""
    sf, names = ctx.source_file.pk, ", ".join(q(c) for c in STAGED)
    with connection.cursor() as cursor, merge.foreign_keys_checked_once(cursor, table=TABLE):
        cursor.execute(
            f"INSERT INTO {TABLE} ({names}, {_LINEAGE}) SELECT {names}, "
            "ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY source_line), %s, %s, %s, %s, source_line "
            f"FROM {STAGE} ORDER BY row_hash, source_line",
            [sf, sf, ctx.load_run.pk, sf],
        )
    ctx.inserted, ctx.updated, ctx.unchanged, ctx.retracted = staged_rows, 0, 0, 0
    return 0, 0


def _stage_ids(table: str, ids: np.ndarray) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {table} (id BIGINT PRIMARY KEY)")
        for start in range(0, len(ids), merge.STAGE_BATCH):
            merge.insert_rows(cursor, table, ["id"], [(i,) for i in ids[start : start + merge.STAGE_BATCH].tolist()])
        merge.analyze(cursor, table)


def _diff(ctx: LoadContext, active_rows: int, active_units: int) -> tuple[int, int]:
    """Kept rows (every active row not in `etl_unkept`) get last_seen_file. Each parsed row takes the next stored
    row of its identity that no record kept (present: lineage; reinstated if retracted) or is inserted with the next
    free occurrence; unkept rows not taken are retracted. The aggregates get the touched rows' contribution before
    and after. Returns the kept rows' (count, Σ earnings units) for the checksum."""
    sf, run = ctx.source_file.pk, ctx.load_run.pk
    names = ", ".join(q(c) for c in STAGED)
    resolved = ", ".join(q(c) for c in RESOLVED)
    changed = " OR ".join(f"c.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in RESOLVED)
    mapped_stores, mapped_artists = _remapped()
    with connection.cursor() as cursor:
        merge.analyze(cursor, STAGE)
        cursor.execute(
            f"SELECT count(*), coalesce(sum(t.earnings_usd), 0) FROM {UNKEPT} u JOIN {TABLE} t ON t.id = u.id"
        )
        unkept_rows, unkept_units = cursor.fetchone()
        with merge.foreign_keys_checked_once(cursor, table=TABLE, columns=["last_seen_file_id"]):  # once, not per row
            cursor.execute(
                f"UPDATE {TABLE} AS t SET last_seen_file_id = %s WHERE retracted_by_file_id IS NULL AND {_KEPT}",
                [sf],
            )
        # The stored rows a parsed row may take, in a table indexed by (identity, turn): as a CTE, SQLite with
        # planner statistics joined it by scanning it once per staged row (minutes for 20,000 rows).
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(
            f"CREATE TEMP TABLE {CANDIDATES} AS SELECT id, row_hash, retracted_by_file_id, {resolved}, "
            f"  ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY occurrence) AS turn FROM {TABLE} t "
            f"  WHERE row_hash IN (SELECT row_hash FROM {STAGE}) "
            f"  AND (retracted_by_file_id IS NOT NULL OR NOT {_KEPT})"
        )
        cursor.execute(f"CREATE INDEX {CANDIDATES}_turn ON {CANDIDATES} (row_hash, turn)")
        merge.analyze(cursor, CANDIDATES)
        cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")
        cursor.execute(
            f"CREATE TEMP TABLE {SEEN} AS "
            f"WITH s AS (SELECT source_line, row_hash, {resolved}, raw_fingerprint, "
            f"  ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY source_line) AS turn FROM {STAGE}), "
            f"c AS (SELECT * FROM {CANDIDATES}), "
            f"n AS (SELECT row_hash, count(*) AS free FROM c GROUP BY row_hash) "
            f"SELECT s.source_line AS source_line, c.id AS id, "
            f"  CASE WHEN c.id IS NULL THEN NULL WHEN c.retracted_by_file_id IS NOT NULL OR {changed} THEN 1 ELSE 0 END "
            f"  AS changed, "
            f"  CASE WHEN c.id IS NULL THEN (SELECT coalesce(max(t.occurrence), 0) FROM {TABLE} t "
            f"    WHERE t.row_hash = s.row_hash) + s.turn - coalesce(n.free, 0) END AS occurrence, "
            f"  {', '.join(f's.{q(c)} AS {q(c)}' for c in RESOLVED)}, s.raw_fingerprint AS raw_fingerprint "
            f"FROM s LEFT JOIN c ON c.row_hash = s.row_hash AND c.turn = s.turn LEFT JOIN n ON n.row_hash = s.row_hash"
        )
        merge.analyze(cursor, SEEN)
        cursor.execute(
            f"CREATE TEMP TABLE {TOUCHED} AS SELECT id FROM {UNKEPT} UNION SELECT id FROM {SEEN} WHERE id IS NOT NULL"
        )
        if mapped_stores or mapped_artists:
            cursor.execute(
                f"INSERT INTO {TOUCHED} {_remapped_lines(mapped_stores, mapped_artists)}",
                [*mapped_stores, *mapped_artists],
            )
        cursor.execute(f"SELECT count(*) FROM {TOUCHED}")
        # a snapshot that rewrites most lines (e.g. the first one after fingerprints were added): a rebuild is cheaper
        incremental = cursor.fetchone()[0] <= active_rows // 4
        if incremental:
            services.royalty_aggregates_delta(sign=-1, line_ids=f"SELECT id FROM {TOUCHED}")

        # present: unchanged rows only learn the file and their new fingerprint; changed ones take its lineage
        cursor.execute(
            f"UPDATE {TABLE} AS t SET last_seen_file_id = %s, raw_fingerprint = s.raw_fingerprint "
            f"FROM {SEEN} AS s WHERE s.id = t.id AND s.changed = 0",
            [sf],
        )
        present = cursor.rowcount
        cursor.execute(
            f"UPDATE {TABLE} AS t SET {', '.join(f'{q(c)} = s.{q(c)}' for c in (*RESOLVED, 'raw_fingerprint'))}, "
            "last_seen_file_id = %s, load_run_id = %s, source_file_id = %s, source_line = s.source_line, "
            f"retracted_by_file_id = NULL FROM {SEEN} AS s WHERE s.id = t.id AND s.changed = 1",
            [sf, run, sf],
        )
        updated = cursor.rowcount
        # the unkept rows no parsed row took are gone from this snapshot
        cursor.execute(
            f"UPDATE {TABLE} SET retracted_by_file_id = %s WHERE id IN (SELECT id FROM {UNKEPT}) "
            "AND retracted_by_file_id IS NULL AND last_seen_file_id <> %s",
            [sf, sf],
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
        for table in (UNKEPT, CANDIDATES, SEEN, TOUCHED):
            cursor.execute(f"DROP TABLE {table}")
    kept_rows = active_rows - unkept_rows
    ctx.updated = updated + remapped
    ctx.unchanged = kept_rows + present - remapped
    return kept_rows, active_units - int(unkept_units)


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
        stream=load_snapshot,
    )
)
