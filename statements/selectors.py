"""Reads: how a period's royalty lines split between artists and the label, drafts, and issued statements, all as
one `StatementDoc` shape that the admin, the API, the command and the file renderers share.

The rules are in docs/STATEMENTS.md: a statement covers the active lines DistroKid reports under the artist (own
tracks) plus the artist's share of other artists' tracks they are linked to (featured); a track's split comes from
its confirmed `track_artist` links (artist share = 100 − label_share_pct, the label keeps the rest).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from django.db.models import Max, Sum

from statements.models import Statement, StatementLine, StatementPayment
from statements.money import ZERO, cents, cents_allocate
from statements.periods import Period
from warehouse.models import Artist, RoyaltyLine, TrackArtist

HUNDRED = Decimal(100)
NOTE_UNCONFIRMED = "split not confirmed"
NOTE_OVER_100 = "split not confirmed: artist shares exceed 100 %"
NOTE_NO_TRACK = "split not confirmed: ISRC not in the catalog"
NOTE_RETRACTED = "retracted by a later DistroKid snapshot"
MONEY_FIELDS = ("gross", "artist", "co_artists", "label", "held")


@dataclass(frozen=True)
class Split:
    artist_ids: tuple[int, ...]  # every artist linked to the track, primary first
    pcts: dict[int, Decimal] | None  # each artist's share of the track in percent; None while not confirmed
    note: str = ""


@dataclass(frozen=True)
class Allocated:
    """One group of a period's lines (owner artist, track, store, earnings/negative) split to the cent."""

    owner_id: int
    owner: str
    track_id: int | None
    isrc: str
    title: str
    store: str
    kind: str
    units: int
    gross: Decimal
    split: Split
    amounts: dict[int, Decimal]  # artist id → amount (confirmed splits only)
    label: Decimal
    held: Decimal


@dataclass(frozen=True)
class Line:
    section: str
    kind: str
    owner: str
    track_id: int | None
    isrc: str
    title: str
    store: str
    note: str
    units: int
    gross: Decimal
    share_pct: Decimal | None
    artist: Decimal
    co_artists: Decimal
    label: Decimal
    held: Decimal
    adjusts_id: int | None = None
    adjusts_period: str = ""

    @property
    def key(self) -> tuple:
        return (self.section, self.owner, self.isrc, self.store, self.kind)  # not the title: staff may rename


@dataclass(frozen=True)
class Totals:
    units: int
    gross: Decimal
    artist: Decimal
    featured: Decimal
    co_artists: Decimal
    label: Decimal
    held: Decimal
    adjustments: Decimal
    opening_balance: Decimal
    payments: Decimal
    closing_balance: Decimal


@dataclass
class StatementDoc:
    artist: str
    artist_id: int
    period: Period
    lines: list[Line]
    totals: Totals
    id: int | None = None
    issued_at: datetime | None = None
    issued_by: str = ""
    checksum: str = ""
    payment_ids: list[int] = field(default_factory=list)  # draft: the payments its balance counts

    @property
    def status(self) -> str:
        return "issued" if self.id else "draft"

    def sections(self) -> list[tuple[str, list[Line]]]:
        """(heading, lines) of each non-empty section, in reading order."""
        period = [line for line in self.lines if not line.adjusts_period]
        parts = (
            ("Own tracks", [l for l in period if l.section == "own"]),
            ("Tracks featured on", [l for l in period if l.section == "featured"]),
            ("Adjustments to earlier statements", [l for l in self.lines if l.adjusts_period]),
        )
        return [(title, lines) for title, lines in parts if lines]

    @property
    def refusals(self) -> list[str]:
        """Why this draft cannot be issued (empty: it can)."""
        return [
            f"{line.title or '(no title)'} ({line.isrc or 'no ISRC'}), {line.store}: {line.note}"
            for line in self.lines
            if line.held
        ]


# --- Allocation --------------------------------------------------------------------------------------------------


def track_splits_get(*, track_ids: set[int]) -> dict[int, Split]:
    links = defaultdict(list)
    for link in TrackArtist.objects.filter(track_id__in=track_ids).select_related("artist"):
        links[link.track_id].append(link)
    splits = {}
    for track_id in track_ids:
        group = sorted(links[track_id], key=lambda l: (l.role != TrackArtist.Role.PRIMARY, l.artist.name))
        ids = tuple(link.artist_id for link in group)
        if not group or not all(link.share_confirmed for link in group):
            splits[track_id] = Split(ids, None, NOTE_UNCONFIRMED)
            continue
        pcts = {link.artist_id: HUNDRED - link.label_share_pct for link in group}
        splits[track_id] = Split(ids, pcts) if sum(pcts.values()) <= HUNDRED else Split(ids, None, NOTE_OVER_100)
    return splits


def period_allocation_get(*, period: Period) -> list[Allocated]:
    """Every active line of the period with a mapped artist, grouped per (artist, track, store, sign) and split.

    Rounding (money.py): per owner artist, the groups' exact sums are rounded so they add up to the owner's rounded
    total; then each group's cents are split between its artists and the label so the parts add up to the group.
    """
    rows = list(
        RoyaltyLine.objects.filter(
            retracted_by_file__isnull=True,
            artist__isnull=False,
            sale_month__gte=period.start,
            sale_month__lte=period.end,
        )
        .values(
            "artist_id", "artist__name", "track_id", "track__isrc", "track__title", "isrc", "store", "is_adjustment"
        )
        .annotate(units=Sum("quantity"), exact=Sum("earnings_usd"), line_title=Max("title"))
    )
    splits = track_splits_get(track_ids={row["track_id"] for row in rows if row["track_id"]})
    by_owner = defaultdict(list)
    for row in rows:
        by_owner[row["artist_id"]].append(row)
    result = []
    for owner_id in sorted(by_owner):
        group = sorted(
            by_owner[owner_id], key=lambda r: (r["track__isrc"] or r["isrc"], r["store"], r["is_adjustment"])
        )
        exact = [row["exact"] for row in group]
        for row, gross in zip(group, cents_allocate(parts=exact, total=cents(sum(exact))), strict=True):
            split = splits[row["track_id"]] if row["track_id"] else Split((), None, NOTE_NO_TRACK)
            amounts, label, held = {}, ZERO, gross
            if split.pcts is not None:
                parts = [*split.pcts.values(), HUNDRED - sum(split.pcts.values())]
                *shares, label = cents_allocate(parts=[gross * pct / HUNDRED for pct in parts], total=gross)
                amounts, held = dict(zip(split.pcts, shares, strict=True)), ZERO
            result.append(
                Allocated(
                    owner_id=owner_id,
                    owner=row["artist__name"],
                    track_id=row["track_id"],
                    isrc=row["track__isrc"] or row["isrc"],
                    title=row["track__title"] or row["line_title"] or "",
                    store=row["store"],
                    kind="negative" if row["is_adjustment"] else "earnings",
                    units=row["units"],
                    gross=gross,
                    split=split,
                    amounts=amounts,
                    label=label,
                    held=held,
                )
            )
    return result


def _lines_for(allocation: list[Allocated], artist_id: int) -> list[Line]:
    lines = []
    for a in allocation:
        if a.owner_id == artist_id:
            section = StatementLine.Section.OWN
        elif artist_id in a.split.artist_ids:
            section = StatementLine.Section.FEATURED
        else:
            continue
        mine = a.amounts.get(artist_id, ZERO)
        share = None if a.split.pcts is None else a.split.pcts.get(artist_id, ZERO)
        lines.append(
            Line(
                section=section.value,
                kind=a.kind,
                owner=a.owner,
                track_id=a.track_id,
                isrc=a.isrc,
                title=a.title,
                store=a.store,
                note=a.split.note,
                units=a.units,
                gross=a.gross,
                share_pct=share,
                artist=mine,
                co_artists=sum(a.amounts.values(), ZERO) - mine,
                label=a.label,
                held=a.held,
            )
        )
    return sorted(lines, key=lambda l: (l.section != "own", l.title, l.isrc, l.store, l.kind))


def _adjustment_lines(*, artist_id: int, issued: list[Statement]) -> list[Line]:
    """What changed in the periods of the artist's issued statements since they (and later adjustments) were
    issued: current allocation − (issued lines + adjustment lines already carried), per line key."""
    carried = defaultdict(lambda: defaultdict(lambda: [0, ZERO, ZERO, ZERO, ZERO, ZERO]))
    templates = {}
    for row in StatementLine.objects.filter(statement__artist_id=artist_id).select_related("adjusts"):
        target = row.adjusts_id or row.statement_id
        line = _line_from_row(row)
        sums = carried[target][line.key]
        sums[0] += line.units
        for i, name in enumerate(MONEY_FIELDS, start=1):
            sums[i] += getattr(line, name)
        templates[(target, line.key)] = line
    result = []
    for statement in sorted(issued, key=lambda s: (s.period_start, s.pk)):
        period = Period(statement.period_start, statement.period_end)
        current = {line.key: line for line in _lines_for(period_allocation_get(period=period), artist_id)}
        for key in sorted(set(current) | set(carried[statement.pk])):
            before, now = carried[statement.pk][key], current.get(key)
            values = [now.units, *(getattr(now, n) for n in MONEY_FIELDS)] if now else [0] + [ZERO] * 5
            delta = [a - b for a, b in zip(values, before, strict=True)]
            if not any(delta):
                continue
            base = now or templates[(statement.pk, key)]
            result.append(
                replace(
                    base,
                    units=delta[0],
                    **dict(zip(MONEY_FIELDS, delta[1:], strict=True)),
                    note=base.note if now else NOTE_RETRACTED,
                    adjusts_id=statement.pk,
                    adjusts_period=statement.period_label,
                )
            )
    return result


def totals_compute(*, lines: list[Line], opening: Decimal, payments: Decimal) -> Totals:
    period_lines = [line for line in lines if line.adjusts_id is None]
    own = [line for line in period_lines if line.section == "own"]

    def total(lines_, name):
        return sum((getattr(line, name) for line in lines_), ZERO)

    artist, featured = total(own, "artist"), total([l for l in period_lines if l.section == "featured"], "artist")
    adjustments = total([line for line in lines if line.adjusts_id is not None], "artist")
    return Totals(
        units=sum(line.units for line in own if line.kind == "earnings"),
        gross=total(own, "gross"),
        artist=artist,
        featured=featured,
        co_artists=total(own, "co_artists"),
        label=total(own, "label"),
        held=total(lines, "held"),
        adjustments=adjustments,
        opening_balance=opening,
        payments=payments,
        closing_balance=opening + artist + featured + adjustments - payments,
    )


# --- Statements --------------------------------------------------------------------------------------------------


def statement_draft_get(*, artist: Artist, period: Period) -> StatementDoc:
    """What the artist's statement for `period` would say if it were issued now."""
    issued = list(Statement.objects.filter(artist=artist))
    lines = _lines_for(period_allocation_get(period=period), artist.pk)
    lines += _adjustment_lines(artist_id=artist.pk, issued=issued)
    previous = max(issued, key=lambda s: (s.issued_at, s.pk), default=None)
    payments = list(StatementPayment.objects.filter(statement__artist=artist, counted_in__isnull=True))
    totals = totals_compute(
        lines=lines,
        opening=previous.closing_balance if previous else ZERO,
        payments=sum((p.amount for p in payments), ZERO),
    )
    doc = StatementDoc(
        artist=artist.name,
        artist_id=artist.pk,
        period=period,
        lines=lines,
        totals=totals,
        payment_ids=[p.pk for p in payments],
    )
    doc.checksum = statement_checksum(doc)
    return doc


def statement_overlapping_get(*, artist: Artist, period: Period) -> Statement | None:
    return Statement.objects.filter(artist=artist, period_start__lte=period.end, period_end__gte=period.start).first()


def _line_from_row(row: StatementLine) -> Line:
    return Line(
        section=row.section,
        kind=row.kind,
        owner=row.owner,
        track_id=row.track_id,
        isrc=row.isrc,
        title=row.title,
        store=row.store,
        note=row.note,
        units=row.units,
        gross=row.gross,
        share_pct=row.share_pct,
        artist=row.artist_amount,
        co_artists=row.co_artists_amount,
        label=row.label_amount,
        held=row.held_amount,
        adjusts_id=row.adjusts_id,
        adjusts_period=row.adjusts.period_label if row.adjusts_id else "",
    )


def statement_doc_get(*, statement: Statement, with_lines: bool = True) -> StatementDoc:
    """An issued statement exactly as stored (without its lines for a list)."""
    rows = statement.lines.select_related("adjusts").order_by("position") if with_lines else []
    s = statement
    totals = Totals(
        units=s.units,
        gross=s.gross,
        artist=s.artist_amount,
        featured=s.featured_amount,
        co_artists=s.co_artists_amount,
        label=s.label_amount,
        held=ZERO,
        adjustments=s.adjustments_amount,
        opening_balance=s.opening_balance,
        payments=s.payments_amount,
        closing_balance=s.closing_balance,
    )
    return StatementDoc(
        artist=s.artist.name,
        artist_id=s.artist_id,
        period=Period(s.period_start, s.period_end),
        lines=[_line_from_row(row) for row in rows],
        totals=totals,
        id=s.pk,
        issued_at=s.issued_at,
        issued_by=s.issued_by.get_username() if s.issued_by else "",
        checksum=s.checksum,
    )


def statement_list(*, artist: str | None = None, period: Period | None = None):
    rows = Statement.objects.select_related("artist", "issued_by")
    if artist:
        rows = rows.filter(artist__name__iexact=artist)
    if period:
        rows = rows.filter(period_start=period.start, period_end=period.end)
    return rows.order_by("-issued_at", "-id")


def statement_artists_list(*, period: Period) -> list[Artist]:
    """Artists with something to state for the period: lines (own or featured), earlier statements, payments."""
    allocation = period_allocation_get(period=period)
    ids = {a.owner_id for a in allocation} | {i for a in allocation for i in a.split.artist_ids}
    ids |= set(Statement.objects.values_list("artist_id", flat=True))
    return list(Artist.objects.filter(pk__in=ids).order_by("name"))


def decimal_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def statement_checksum(doc: StatementDoc) -> str:
    """sha256 over the statement's content (artist, period, lines, totals) in a canonical JSON form."""
    lines = [
        {
            **{k: v for k, v in asdict(line).items() if k not in ("track_id", "adjusts_id")},
            **{k: decimal_text(getattr(line, k)) for k in (*MONEY_FIELDS, "share_pct")},
        }
        for line in doc.lines
    ]
    totals = {k: (decimal_text(v) if isinstance(v, Decimal) else v) for k, v in asdict(doc.totals).items()}
    payload = {"artist": doc.artist, "period": doc.period.label, "lines": lines, "totals": totals}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
