"""Writes: every change to the warehouse goes through a keyword-only, typed `<entity>_<action>` function here.

The loader (etl/) writes facts through its own set-based merge and calls these for master data (alias, store,
track, campaign resolution) and `facts_changed` inside each file's transaction; the admin and the API call them for
curation and for queueing loads.
"""

import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from warehouse import curation, meta_levels
from warehouse.models import (
    Artist,
    ArtistAlias,
    Campaign,
    CampaignToken,
    Country,
    LoadRun,
    Platform,
    SocialAccount,
    SourceFile,
    SpotifyTrack,
    StoreAlias,
    Track,
    TrackArtist,
    normalize_alias,
)

logger = logging.getLogger(__name__)


def facts_changed(*, kind: str, source_file: SourceFile) -> None:
    """Called by the loader inside each file's transaction, after its merge and before commit.

    The place to maintain precomputed aggregates so readers see them change atomically with the facts.
    """
    if kind == "dk_bank_details":
        royalty_aggregates_refresh()
    elif kind == "meta_ad_performance":
        meta_levels.ad_performance_levels_mark()


# --- Dashboard aggregates and load-run queueing ------------------------------------------------------------------
# royalty_monthly_agg / royalty_delay_agg / royalty_isrc_agg sum the active royalty lines. A first load rebuilds
# them; a newer snapshot records the contribution of the lines it touches before (−1) and after (+1) its changes
# in TEMP delta tables, and the refresh adds that delta, so its cost follows the change, not the table. Money stays
# integer units.

_REPORTING_MONTH_SQL = {
    "sqlite": "date(reporting_date, 'start of month')",
    "postgresql": "CAST(date_trunc('month', reporting_date) AS date)",
}
_MONTHLY_KEY = ("sale_month", "store", "platform_id", "artist_id", "artist_raw")
_MONTHLY_SUMS = ("earnings_usd", "gross_usd", "adjustments_usd", "quantity", "line_count")
_DELAY_KEY = ("sale_month", "reporting_month")
_ISRC_SUMS = ("streams", "revenue_usd", "line_count")
_MONTHLY_DELTA, _DELAY_DELTA = "etl_royalty_monthly_delta", "etl_royalty_delay_delta"
_ISRC_DELTA = "etl_royalty_isrc_delta"


def _monthly_select(where: str) -> str:
    """Per (Sale Month, store, platform, artist, raw name while unmapped): the aggregate's sums of active lines."""
    return f"""
        SELECT sale_month AS c0, store AS c1, platform_id AS c2, artist_id AS c3,
            CASE WHEN artist_id IS NULL THEN artist_raw ELSE '' END AS c4,
            SUM(earnings_usd) AS c5,
            SUM(CASE WHEN earnings_usd > 0 THEN earnings_usd ELSE 0 END) AS c6,
            SUM(CASE WHEN earnings_usd < 0 THEN earnings_usd ELSE 0 END) AS c7,
            SUM(CASE WHEN earnings_usd >= 0 THEN quantity ELSE 0 END) AS c8,
            COUNT(*) AS c9
        FROM royalty_line
        WHERE retracted_by_file_id IS NULL AND {where}
        GROUP BY sale_month, store, platform_id, artist_id, CASE WHEN artist_id IS NULL THEN artist_raw ELSE '' END
    """


def _delay_select(where: str) -> str:
    month = _REPORTING_MONTH_SQL[connection.vendor]
    return f"""
        SELECT sale_month AS c0, {month} AS c1, COUNT(*) AS c2 FROM royalty_line
        WHERE retracted_by_file_id IS NULL AND {where} GROUP BY sale_month, {month}
    """


def _isrc_select(where: str) -> str:
    """Per ISRC: streams (Σ Quantity of lines with earnings ≥ 0), revenue (Σ earnings) and lines."""
    return f"""
        SELECT isrc AS c0, SUM(CASE WHEN earnings_usd >= 0 THEN quantity ELSE 0 END) AS c1,
            SUM(earnings_usd) AS c2, COUNT(*) AS c3
        FROM royalty_line WHERE retracted_by_file_id IS NULL AND isrc <> '' AND {where} GROUP BY isrc
    """


def _delta_pending(cursor) -> bool:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_temp_master WHERE name = %s", [_MONTHLY_DELTA])
    else:
        cursor.execute("SELECT 1 WHERE to_regclass(%s) IS NOT NULL", [f"pg_temp.{_MONTHLY_DELTA}"])  # this session's
    return cursor.fetchone() is not None


def royalty_aggregates_delta(*, sign: int, line_ids: str, params: tuple = ()) -> None:
    """Record the contribution of the active royalty lines whose id is in `line_ids` (a SELECT of ids, code not
    input; values bound through `params`), subtracted (sign −1, before a change) or added (+1, after it).
    `royalty_aggregates_refresh` applies what was recorded."""
    assert sign in (1, -1)
    where = f"id IN ({line_ids})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_MONTHLY_DELTA} (sale_month DATE, store TEXT, platform_id BIGINT, "
            "artist_id BIGINT, artist_raw TEXT, earnings_usd BIGINT, gross_usd BIGINT, adjustments_usd BIGINT, "
            "quantity BIGINT, line_count BIGINT)"
        )
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_DELAY_DELTA} (sale_month DATE, reporting_month DATE, line_count BIGINT)"
        )
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_ISRC_DELTA} (isrc TEXT, streams BIGINT, revenue_usd BIGINT, "
            "line_count BIGINT)"
        )
        cursor.execute(
            f"INSERT INTO {_MONTHLY_DELTA} SELECT c0, c1, c2, c3, c4, "
            f"{', '.join(f'{sign} * c{i}' for i in range(5, 10))} FROM ({_monthly_select(where)}) g",
            params,
        )
        cursor.execute(f"INSERT INTO {_DELAY_DELTA} SELECT c0, c1, {sign} * c2 FROM ({_delay_select(where)}) g", params)
        cursor.execute(
            f"INSERT INTO {_ISRC_DELTA} SELECT c0, {sign} * c1, {sign} * c2, {sign} * c3 "
            f"FROM ({_isrc_select(where)}) g",
            params,
        )


def _apply_delta(cursor, *, table: str, delta: str, key: tuple[str, ...], sums: tuple[str, ...]) -> None:
    """table += Σ delta per key: update the rows that exist, insert the others, drop the ones now empty."""
    match = " AND ".join(f"a.{k} IS NOT DISTINCT FROM d.{k}" for k in key)
    summed = (
        f"SELECT {', '.join(key)}, {', '.join(f'SUM({s}) AS {s}' for s in sums)} FROM {delta} GROUP BY {', '.join(key)}"
    )
    cursor.execute(f"CREATE TEMP TABLE etl_delta_sum AS {summed}")
    cursor.execute(
        f"UPDATE {table} AS a SET {', '.join(f'{s} = a.{s} + d.{s}' for s in sums)} FROM etl_delta_sum AS d WHERE {match}"
    )
    columns = ", ".join((*key, *sums))
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(f'd.{c}' for c in (*key, *sums))} FROM etl_delta_sum AS d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS a WHERE {match})"
    )
    cursor.execute(f"DELETE FROM {table} WHERE line_count = 0")
    cursor.execute("DROP TABLE etl_delta_sum")
    cursor.execute(f"DROP TABLE {delta}")


def royalty_aggregates_refresh() -> None:
    """Bring both aggregates up to date with the active royalty lines: apply the delta a load recorded, or
    rebuild them when none was recorded (a first load, a staff mapping)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not _delta_pending(cursor):
            royalty_aggregates_rebuild()
            return
        _apply_delta(cursor, table="royalty_monthly_agg", delta=_MONTHLY_DELTA, key=_MONTHLY_KEY, sums=_MONTHLY_SUMS)
        _apply_delta(cursor, table="royalty_delay_agg", delta=_DELAY_DELTA, key=_DELAY_KEY, sums=("line_count",))
        _apply_delta(cursor, table="royalty_isrc_agg", delta=_ISRC_DELTA, key=("isrc",), sums=_ISRC_SUMS)


def royalty_aggregates_rebuild() -> int:
    """Recompute royalty_monthly_agg, royalty_delay_agg and royalty_isrc_agg from every active royalty line.
    Returns the number of monthly aggregate rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM royalty_monthly_agg")
        cursor.execute(
            f"INSERT INTO royalty_monthly_agg ({', '.join((*_MONTHLY_KEY, *_MONTHLY_SUMS))}) {_monthly_select('true')}"
        )
        rows = cursor.rowcount
        cursor.execute("DELETE FROM royalty_delay_agg")
        cursor.execute(
            f"INSERT INTO royalty_delay_agg (sale_month, reporting_month, line_count) {_delay_select('true')}"
        )
        cursor.execute("DELETE FROM royalty_isrc_agg")
        cursor.execute(f"INSERT INTO royalty_isrc_agg (isrc, {', '.join(_ISRC_SUMS)}) {_isrc_select('true')}")
        return rows


class LoadRunConflict(Exception):
    """A load run is already queued or running."""

    def __init__(self, run: LoadRun):
        super().__init__(f"load run {run.pk} already running")
        self.run = run


_ACTIVE_STATUSES = (LoadRun.Status.QUEUED, LoadRun.Status.RUNNING)
_ENQUEUE_LOCK_KEY = 0x6265_6472  # PostgreSQL advisory lock id ("bedr"); SQLite's IMMEDIATE BEGIN serialises already


def _pid_alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # reaps our own exited child (else it lingers as a zombie)
        if finished:
            return False
    except ChildProcessError:
        pass  # not our child: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def _load_run_dead_reason(run: LoadRun) -> str | None:
    """Why a queued/running run cannot still be working, or None while it may be."""
    pid, host = run.options.get("pid"), run.options.get("host")
    if pid and host == socket.gethostname():
        return None if _pid_alive(int(pid)) else f"process {pid} is gone"
    last_sign = run.started_at or run.created_at
    stale_after = getattr(settings, "LOAD_RUN_STALE_AFTER_SECONDS", 3600)
    if last_sign and (timezone.now() - last_sign).total_seconds() > stale_after:
        return f"no sign of life for more than {stale_after} s"
    return None


def load_run_enqueue(
    *,
    trigger: str,
    requested_by=None,
    kinds: list[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    spawn: bool = True,
) -> LoadRun:
    """Queue a load of the curated zone and start `manage.py load_curated --run-id <id>` detached, after commit.

    Raises LoadRunConflict while another run is queued or running. A run whose process died is marked failed
    first, so it never blocks refreshes forever. `options` carries kinds/force/dry_run for the loader.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ENQUEUE_LOCK_KEY])
        for active in LoadRun.objects.filter(status__in=_ACTIVE_STATUSES).order_by("id"):
            reason = _load_run_dead_reason(active)
            if reason is None:
                raise LoadRunConflict(active)
            LoadRun.objects.filter(pk=active.pk, status__in=_ACTIVE_STATUSES).update(
                status=LoadRun.Status.FAILED, finished_at=timezone.now(), error=f"abandoned: {reason}"
            )
            logger.warning("load_run_abandoned id=%s reason=%s", active.pk, reason)
        run = LoadRun.objects.create(
            status=LoadRun.Status.QUEUED,
            trigger=trigger,
            requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            options={"kinds": list(kinds) if kinds else None, "force": bool(force), "dry_run": bool(dry_run)},
        )
        if spawn:
            transaction.on_commit(lambda: _load_run_spawn(run))
    return run


def _load_run_spawn(run: LoadRun) -> None:
    """Start the loader for a queued run in its own session, so it outlives the request (and the server)."""
    log_dir = Path(tempfile.gettempdir()) / "bedrot-load-runs"
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / f"load_run_{run.pk}.log"
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "load_curated", "--run-id", str(run.pk)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    options = {**run.options, "pid": process.pid, "host": socket.gethostname(), "log": str(log_path)}
    LoadRun.objects.filter(pk=run.pk).update(options=options)
    run.options = options
    logger.info("load_run_spawned id=%s pid=%s", run.pk, process.pid)


# --- Master-data resolution for loads -----------------------------------------------------------------------------
# Unknown names never become artists/platforms on their own: they are queued (artist/platform NULL) for staff.


def artist_alias_resolve(
    *, names: list[str], source_file: SourceFile | None = None, queue: bool = True
) -> dict[str, int | None]:
    """Raw artist names → artist id (None = unmatched). Unknown names are queued via `artist_alias_queue`
    (unless `queue` is false: a lookup of names already seen)."""
    keys = {name: normalize_alias(name) for name in set(names) if name}
    known = dict(ArtistAlias.objects.filter(alias_key__in=set(keys.values())).values_list("alias_key", "artist_id"))
    for artist in Artist.objects.all().only("id", "name"):
        known.setdefault(normalize_alias(artist.name), artist.pk)
    resolved = {}
    for name, key in keys.items():
        if key not in known:
            if queue:
                artist_alias_queue(alias=name, source_file=source_file)
            known[key] = None
        resolved[name] = known[key]
    return resolved


def artist_alias_queue(*, alias: str, source_file: SourceFile | None = None) -> ArtistAlias:
    """Put an unknown spelling on the staff review list (artist NULL). Idempotent by the matching key."""
    record, _ = ArtistAlias.objects.get_or_create(
        alias_key=normalize_alias(alias), defaults={"alias": alias, "artist": None, "first_seen_file": source_file}
    )
    return record


def store_alias_resolve(
    *, stores: list[str], source_file: SourceFile | None = None, queue: bool = True
) -> dict[str, int | None]:
    """Distributor store names → platform id. An unknown store is queued as StoreAlias(platform NULL) (unless
    `queue` is false) and maps to None: it never defaults to another platform (contract §4.3)."""
    wanted = set(stores)
    known = dict(StoreAlias.objects.filter(store__in=wanted).values_list("store", "platform_id"))
    for store in wanted - set(known):
        if queue:
            StoreAlias.objects.get_or_create(store=store, defaults={"platform": None, "first_seen_file": source_file})
        known[store] = None
    return known


def track_ensure(
    *, tracks: list[tuple[str, str, str, int | None]], source_file: SourceFile | None = None
) -> dict[str, int]:
    """(isrc, title, upc, primary artist id) → track id by ISRC. A new ISRC creates its track under its artist
    with needs_review (staff confirm what a load inferred); existing tracks are never renamed by a load."""
    wanted = {isrc: (title, upc, artist_id) for isrc, title, upc, artist_id in tracks if isrc}
    known = dict(Track.objects.filter(isrc__in=set(wanted)).values_list("isrc", "id"))
    for isrc in sorted(set(wanted) - set(known)):
        title, upc, artist_id = wanted[isrc]
        track = Track.objects.create(isrc=isrc, title=title[:300], upc=(upc or "")[:20], needs_review=True)
        if artist_id is not None:
            TrackArtist.objects.create(track=track, artist_id=artist_id, role=TrackArtist.Role.PRIMARY)
        known[isrc] = track.pk
    return known


def country_ensure(*, codes: list[str]) -> int:
    """Add country codes seen in data (DistroKid uses a few non-ISO ones such as `OU`). Returns how many were new."""
    wanted = set(codes)
    missing = wanted - set(Country.objects.filter(code__in=wanted).values_list("code", flat=True))
    Country.objects.bulk_create([Country(code=code) for code in sorted(missing)], ignore_conflicts=True)
    return len(missing)


# --- Meta campaign names (contract §4.4) -------------------------------------------------------------------------
# Parsing reads artist_alias / campaign_token and queues unknown track-position segments as
# CampaignToken(needs_review=True) for staff.


CAMPAIGN_TARGETING_WORDS = frozenset(
    {"STREAMING", "BROAD", "BROAD SPOTIFY", "TECHNO", "TECHNO SPOTIFY", "HARD TRANCE", "ENGAGEMENT"}
)
_COPY_SUFFIX = re.compile(r"\s*-\s*COPY(?:\s+\d+)?$")
_SEPARATOR = " - "


@dataclass(frozen=True)
class CampaignNameParse:
    artist: Artist | None
    token: CampaignToken | None
    track: Track | None
    targeting: str | None
    parsed_track_text: str
    is_copy: bool
    parse_status: str

    def as_tuple(self) -> tuple:
        """(artist name, token text, targeting, parse status, is_copy): the contract table's columns."""
        return (
            self.artist.name if self.artist else None,
            self.token.token if self.token else None,
            self.targeting,
            self.parse_status,
            self.is_copy,
        )


@dataclass
class _CampaignLexicon:
    """The master data the parser matches against, read once per parse (the tables hold a few dozen rows)."""

    artists: dict[str, Artist]  # normalize_alias key → artist (aliases and canonical names)
    tokens: dict[str, CampaignToken]  # upper-case token text → token

    @classmethod
    def load(cls) -> "_CampaignLexicon":
        artists = {normalize_alias(a.name): a for a in Artist.objects.all()}
        for alias in ArtistAlias.objects.filter(artist__isnull=False).select_related("artist"):
            artists[alias.alias_key] = alias.artist
        tokens = {t.token: t for t in CampaignToken.objects.select_related("artist", "track")}
        return cls(artists=artists, tokens=tokens)

    def classify(self, segment: str) -> str:
        is_artist = normalize_alias(segment) in self.artists
        is_token = segment in self.tokens
        if is_artist and is_token:
            return "ambiguous"
        if is_artist:
            return "artist"
        if is_token:
            return "token"
        if segment in CAMPAIGN_TARGETING_WORDS:
            return "targeting"
        return "unknown"


def _normalize_campaign_name(name: str) -> str:
    return " ".join(name.upper().split())


def _join(segments: list[str]) -> str | None:
    return _SEPARATOR.join(segments) or None


def _queue_campaign_token(*, text: str, lexicon: _CampaignLexicon, queue_unknown: bool) -> CampaignToken | None:
    """An unknown title in the track position becomes a token for staff to map (never an artist, never a track)."""
    if not queue_unknown:
        return None
    token, _ = CampaignToken.objects.get_or_create(token=text, defaults={"needs_review": True})
    lexicon.tokens[text] = token
    return token


def _scan_campaign_words(*, name: str, lexicon: _CampaignLexicon, is_copy: bool) -> CampaignNameParse:
    """Step 6: a name with no separator. Find whole-word artists and tokens; the rest is targeting."""
    # Longest candidates first so `ZONE A0 X SXNCTUARY` wins over `ZONE A0`, `THE SOURCE (SLOWED)` over `THE SOURCE`.
    candidates = sorted(
        {text.upper() for text in lexicon.tokens} | {key.upper() for key in lexicon.artists}, key=len, reverse=True
    )
    remaining = name
    artists: set[int] = set()
    tokens: list[CampaignToken] = []
    found_artist: Artist | None = None
    ambiguous = False
    for candidate in candidates:
        pattern = re.compile(r"(?<![A-Z0-9])" + re.escape(candidate) + r"(?![A-Z0-9])")
        if not pattern.search(remaining):
            continue
        remaining = pattern.sub(" ", remaining)
        kind = lexicon.classify(candidate)
        if kind == "ambiguous":
            ambiguous = True
        elif kind == "artist":
            found_artist = lexicon.artists[normalize_alias(candidate)]
            artists.add(found_artist.pk)
        else:
            tokens.append(lexicon.tokens[candidate])
    targeting = " ".join(remaining.split()) or None
    if ambiguous:
        return CampaignNameParse(None, None, None, targeting, "", is_copy, Campaign.ParseStatus.AMBIGUOUS)
    if (artists or tokens) and len(artists) <= 1 and len(tokens) <= 1:
        token = tokens[0] if tokens else None
        artist = found_artist or (token.artist if token else None)
        return CampaignNameParse(
            artist, token, token.track if token else None, targeting, "", is_copy, Campaign.ParseStatus.NONCONFORMING
        )
    return CampaignNameParse(None, None, None, name, "", is_copy, Campaign.ParseStatus.UNPARSED)


def campaign_name_parse(*, name: str, campaign_id: str | None = None, queue_unknown: bool = True) -> CampaignNameParse:
    """Parse a Meta campaign name `ARTIST - TRACK - TARGETING` against the master data (contract §4.4).

    A campaign with `is_override` keeps what staff set (status `override`). With `queue_unknown`, an unknown
    segment in the track position is queued as CampaignToken(needs_review=True); the loaders' dry runs pass False.
    """
    if campaign_id:
        manual = Campaign.objects.filter(campaign_id=campaign_id, is_override=True).select_related("token").first()
        if manual is not None:
            return CampaignNameParse(
                manual.artist,
                manual.token,
                manual.track,
                manual.targeting,
                manual.parsed_track_text,
                manual.is_copy,
                Campaign.ParseStatus.OVERRIDE,
            )

    text = _normalize_campaign_name(name)
    is_copy = False
    while (stripped := _COPY_SUFFIX.sub("", text)) != text:
        text, is_copy = stripped, True
    if "NEW ENGAGEMENT" in text:
        return CampaignNameParse(None, None, None, "ENGAGEMENT", "", is_copy, Campaign.ParseStatus.ACCOUNT_LEVEL)

    lexicon = _CampaignLexicon.load()
    segments = text.split(_SEPARATOR)
    kinds = [lexicon.classify(segment) for segment in segments]

    if "ambiguous" in kinds:
        position = kinds.index("ambiguous")
        return CampaignNameParse(
            None, None, None, _join(segments[position + 1 :]), "", is_copy, Campaign.ParseStatus.AMBIGUOUS
        )
    if kinds == ["unknown"]:
        return _scan_campaign_words(name=text, lexicon=lexicon, is_copy=is_copy)

    artist_positions = [i for i, kind in enumerate(kinds) if kind == "artist"]
    token_positions = [i for i, kind in enumerate(kinds) if kind == "token"]
    unparsed = CampaignNameParse(None, None, None, text, "", is_copy, Campaign.ParseStatus.UNPARSED)
    if len(artist_positions) > 1 or len(token_positions) > 1:
        return unparsed

    # The track position: the token's segment; otherwise the 2nd of 3 or more, or the 1st of 2 (or of 1) when it
    # is not an artist. A targeting word there is never a track.
    parsed_track_text = ""
    if token_positions:
        position = token_positions[0]
        token = lexicon.tokens[segments[position]]
    else:
        position = 1 if len(segments) >= 3 or kinds[0] == "artist" else 0
        token = None
        if position < len(segments) and kinds[position] == "unknown":
            parsed_track_text = segments[position]
            token = _queue_campaign_token(text=parsed_track_text, lexicon=lexicon, queue_unknown=queue_unknown)
        elif artist_positions:
            position = artist_positions[0]
        else:
            position = -1
    if token is not None and token.needs_review:
        parsed_track_text = token.token  # still waiting for staff: keep the raw text visible on the campaign
    if artist_positions and token_positions and artist_positions[0] > position:
        return unparsed  # an artist after the title fits no known naming scheme

    artist = lexicon.artists[normalize_alias(segments[artist_positions[0]])] if artist_positions else None
    if artist is None and token is not None:
        artist = token.artist
    return CampaignNameParse(
        artist,
        token,
        token.track if token else None,
        _join(segments[position + 1 :]),
        parsed_track_text,
        is_copy,
        Campaign.ParseStatus.PARSED,
    )


# --- Admin curation: unmatched names and campaign overrides ------------------------------------------------------
# Loads resolve names through these tables, so the next load uses the mapping.
# Stored campaign names are re-parsed at once (`campaign_reparse`): loads skip unchanged files, so they would not.


def artist_alias_map(*, alias: ArtistAlias, artist: Artist | None, user=None) -> ArtistAlias:
    """Map a spelling seen in data to an artist (None: back to the review queue); loaded lines follow at once."""
    alias.artist = artist
    curation.artist_alias_save(alias=alias, user=user)
    return alias


def store_alias_map(*, store_alias: StoreAlias, platform: Platform | None, user=None) -> StoreAlias:
    """Map a distributor's store name to a platform; loaded lines follow at once."""
    store_alias.platform = platform
    curation.store_alias_save(store_alias=store_alias, user=user)
    return store_alias


def campaign_token_map(*, token: CampaignToken, artist: Artist | None, track: Track | None, user=None) -> CampaignToken:
    """Map a campaign title to an artist and/or track; the artist defaults to the track's primary artist."""
    if artist is None and track is not None:
        link = TrackArtist.objects.filter(track=track, role=TrackArtist.Role.PRIMARY).select_related("artist").first()
        artist = link.artist if link else None
    if artist is None and track is None:
        raise ValueError("Choose an artist or a track.")
    token.artist, token.track, token.needs_review = artist, track, False
    curation.campaign_token_save(token=token, user=user)
    return token


def campaign_override_set(
    *, campaign: Campaign, artist: Artist | None, track: Track | None, targeting: str | None, user=None
) -> Campaign:
    """Staff set the campaign's artist/track/targeting by hand: loads keep it (status `override`, contract §4.4.7)."""
    with transaction.atomic():
        campaign.artist, campaign.track, campaign.targeting = artist, track, targeting
        campaign.is_override = True
        campaign.parse_status = Campaign.ParseStatus.OVERRIDE
        campaign.save()
        curation.curation_recorded(what=f"campaign {campaign.campaign_id} override", rows=1, user=user)
    return campaign


def campaign_override_clear(*, campaign: Campaign, user=None) -> Campaign:
    """Hand the campaign back to the parser, which re-parses its name now."""
    with transaction.atomic():
        campaign.is_override = False
        campaign.parse_status = Campaign.ParseStatus.UNPARSED
        campaign.save(update_fields=["is_override", "parse_status"])
        campaign_reparse(campaigns=Campaign.objects.filter(pk=campaign.pk))
        curation.curation_recorded(what=f"campaign {campaign.campaign_id} override cleared", rows=1, user=user)
    campaign.refresh_from_db()
    return campaign


# --- Meta campaigns (dimension) -------------------------------------------------------------------------------------

_CAMPAIGN_PARSED_FIELDS = ("artist", "token", "track", "parsed_track_text", "targeting", "is_copy", "parse_status")


def campaign_upsert(
    *,
    campaign_id: str,
    name: str,
    source_file: SourceFile | None = None,
    queue_unknown: bool = True,
    **values,
) -> tuple[Campaign, str]:
    """Insert or update one campaign by its Meta id; returns (campaign, "inserted" | "updated" | "unchanged").

    The name is (re)parsed on every change (contract §4.4) unless staff set an override. `values` are other
    Campaign fields (objective, status, first/last seen, active flag); None means "not in this file". The
    `attributes` value is merged into the stored JSON (v1 ad set / ad attributes accumulate).
    """
    campaign = Campaign.objects.filter(campaign_id=campaign_id).first()
    outcome = "unchanged"
    if campaign is None:
        campaign, outcome = Campaign(campaign_id=campaign_id, name=name), "inserted"
    wanted = {"name": name, **{k: v for k, v in values.items() if v is not None and k != "attributes"}}
    if values.get("attributes"):
        merged = dict(campaign.attributes or {})
        for key, value in values["attributes"].items():
            old = merged.get(key)
            merged[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
        wanted["attributes"] = merged
    if not campaign.is_override:
        parse = campaign_name_parse(name=name, queue_unknown=queue_unknown)
        wanted.update({field: getattr(parse, field) for field in _CAMPAIGN_PARSED_FIELDS})
    changed = [field for field, value in wanted.items() if getattr(campaign, field) != value]
    if outcome == "inserted" or changed:
        for field, value in wanted.items():
            setattr(campaign, field, value)
        campaign.source_file = source_file
        campaign.save()
        outcome = "inserted" if outcome == "inserted" else "updated"
    return campaign, outcome


def campaign_reparse(*, campaigns=None) -> int:
    """Re-parse stored campaign names against the current master data (after staff map a queued token or alias,
    or clear an override: unchanged files are skipped by the loader, so nothing else would re-parse them).
    Campaigns with an override are left alone. Returns how many campaigns changed."""
    queryset = Campaign.objects.all() if campaigns is None else campaigns
    changed = 0
    for campaign in queryset.filter(is_override=False):
        parse = campaign_name_parse(name=campaign.name)
        updates = {field: getattr(parse, field) for field in _CAMPAIGN_PARSED_FIELDS}
        if any(getattr(campaign, field) != value for field, value in updates.items()):
            for field, value in updates.items():
                setattr(campaign, field, value)
            campaign.save(update_fields=list(_CAMPAIGN_PARSED_FIELDS))
            changed += 1
    return changed


def campaign_by_unique_name(*, names: list[str]) -> dict[str, int]:
    """Exact campaign names that belong to exactly one campaign → its pk (an empty campaign_id's only rescue)."""
    found: dict[str, list[int]] = {}
    for name, pk in Campaign.objects.filter(name__in=set(names)).values_list("name", "pk"):
        found.setdefault(name, []).append(pk)
    return {name: pks[0] for name, pks in found.items() if len(pks) == 1}


# --- Social accounts ---------------------------------------------------------------------------------------------


def social_account_ensure(
    *, platform_slug: str, handles: list[str], source_file: SourceFile | None = None
) -> dict[str, int]:
    """Handles → social_account pk. An unknown handle creates its account: the artist is the handle's alias
    target when the alias is known, else NULL with the alias queued for staff (contract §2.5)."""

    platform = Platform.objects.get(slug=platform_slug)
    accounts = dict(SocialAccount.objects.filter(platform=platform, handle__in=handles).values_list("handle", "pk"))
    new = [handle for handle in handles if handle and handle not in accounts]
    if new:
        artists = artist_alias_resolve(names=new, source_file=source_file)
        for handle in new:
            account = SocialAccount.objects.create(platform=platform, handle=handle, artist_id=artists.get(handle))
            accounts[handle] = account.pk
    return accounts


# --- Spotify ------------------------------------------------------------------------------------------------------


def artist_by_spotify_id(*, ids: list[str]) -> dict[str, int]:
    """Spotify artist ids → artist pk, from artist.spotify_artist_id or an alias spelled as the id (§4.1)."""
    found = dict(Artist.objects.filter(spotify_artist_id__in=ids).values_list("spotify_artist_id", "pk"))
    keys = {normalize_alias(i): i for i in ids if i not in found}
    for key, artist_id in ArtistAlias.objects.filter(alias_key__in=keys, artist__isnull=False).values_list(
        "alias_key", "artist_id"
    ):
        found[keys[key]] = artist_id
    return found


def spotify_track_upsert(*, spotify_track_id: str, **values) -> tuple[int, str]:
    """One spotify_track from a dimension row; across copies first_seen keeps the minimum and last_updated the
    maximum (§2.4). Returns (pk, "inserted" | "updated" | "unchanged"). Never linked to `track` here."""

    track = SpotifyTrack.objects.filter(spotify_track_id=spotify_track_id).first()
    outcome = "unchanged"
    if track is None:
        track, outcome = SpotifyTrack(spotify_track_id=spotify_track_id), "inserted"
    wanted = dict(values, is_stub=False)
    if (
        outcome != "inserted"
        and track.last_updated
        and wanted.get("last_updated")
        and (wanted["last_updated"] < track.last_updated)
    ):
        # An older copy (loaded late, or replayed by --force) never overwrites the newer description.
        wanted = {"first_seen": wanted.get("first_seen"), "last_updated": wanted["last_updated"]}
    for field, pick in (("first_seen", min), ("last_updated", max)):
        stored, new = getattr(track, field), wanted.get(field)
        wanted[field] = pick(v for v in (stored, new) if v is not None) if (stored or new) else None
    changed = [field for field, value in wanted.items() if getattr(track, field) != value]
    if outcome == "inserted" or changed:
        for field, value in wanted.items():
            setattr(track, field, value)
        track.save()
        outcome = "inserted" if outcome == "inserted" else "updated"
    return track.pk, outcome


def spotify_track_stub_ensure(*, spotify_track_ids: list[str]) -> dict[str, int]:
    """Spotify track ids → pk; an id no dimension file named gets a stub row (`is_stub`) so its metrics load."""

    known = dict(
        SpotifyTrack.objects.filter(spotify_track_id__in=spotify_track_ids).values_list("spotify_track_id", "pk")
    )
    for track_id in spotify_track_ids:
        if track_id not in known:
            known[track_id] = SpotifyTrack.objects.create(spotify_track_id=track_id, is_stub=True).pk
    return known


# --- Catalog from the royalty-splits file ---------------------------------------------------------------------


def track_split_upsert(
    *, isrc: str, artist_id: int, title: str, upc: str, release_date, release_type: str, label_share_pct
) -> tuple[int, str]:
    """Upsert a track by ISRC and its artist's label share (contract §2.10 variant A); returns (track pk,
    "inserted" | "updated" | "unchanged"). A new link is the primary artist when the track has none yet, else
    featured. Empty values in the file never blank stored ones; the share stays unconfirmed until staff confirm it."""
    track = Track.objects.filter(isrc=isrc).first()
    outcome = "unchanged"
    if track is None:
        track, outcome = Track(isrc=isrc, title=title), "inserted"
    wanted = {"title": title, "upc": upc, "release_date": release_date, "release_type": release_type}
    wanted = {field: value for field, value in wanted.items() if value not in ("", None)}
    if outcome == "inserted" or any(getattr(track, f) != v for f, v in wanted.items()):
        for field, value in wanted.items():
            setattr(track, field, value)
        track.save()
        outcome = "inserted" if outcome == "inserted" else "updated"
    link = TrackArtist.objects.filter(track=track, artist_id=artist_id).first()
    if link is None:
        has_primary = TrackArtist.objects.filter(track=track, role=TrackArtist.Role.PRIMARY).exists()
        role = TrackArtist.Role.FEATURED if has_primary else TrackArtist.Role.PRIMARY
        TrackArtist.objects.create(track=track, artist_id=artist_id, role=role, label_share_pct=label_share_pct)
        outcome = "inserted" if outcome == "inserted" else "updated"
    elif link.label_share_pct != label_share_pct:
        link.label_share_pct = label_share_pct
        link.save(update_fields=["label_share_pct"])
        outcome = "inserted" if outcome == "inserted" else "updated"
    return track.pk, outcome
