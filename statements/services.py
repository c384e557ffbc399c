"""Writes: issuing a statement (stored once, never changed) and recording a payment against one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from statements import selectors
from statements.models import Statement, StatementLine, StatementPayment
from statements.periods import Period
from warehouse.models import Artist


class StatementRefused(Exception):
    """The statement cannot be issued; the message says why (split not confirmed, period already issued)."""


def statement_issue(*, artist: Artist, period: Period, issued_by=None) -> Statement:
    """Store the artist's statement for `period` as the draft says it now: its lines, totals and checksum, and
    count the payments recorded since the previous statement. Refused while any amount is held (a track without
    a confirmed split) or when an issued statement of the artist already covers part of the period."""
    with transaction.atomic():
        Artist.objects.select_for_update().filter(pk=artist.pk).first()  # one issuer per artist on PostgreSQL
        overlapping = selectors.statement_overlapping_get(artist=artist, period=period)
        if overlapping is not None:
            raise StatementRefused(
                f"{artist.name} {period}: statement #{overlapping.pk} ({overlapping.period_label}) "
                "already covers this period"
            )
        doc = selectors.statement_draft_get(artist=artist, period=period)
        if doc.refusals:
            raise StatementRefused(
                f"{artist.name} {period}: amounts held until staff confirm the split: " + "; ".join(doc.refusals)
            )
        t = doc.totals
        statement = Statement.objects.create(
            artist=artist,
            period_label=period.label,
            period_start=period.start,
            period_end=period.end,
            issued_at=timezone.now(),
            issued_by=issued_by,
            units=t.units,
            gross=t.gross,
            artist_amount=t.artist,
            featured_amount=t.featured,
            co_artists_amount=t.co_artists,
            label_amount=t.label,
            adjustments_amount=t.adjustments,
            opening_balance=t.opening_balance,
            payments_amount=t.payments,
            closing_balance=t.closing_balance,
            checksum=doc.checksum,
        )
        StatementLine.objects.bulk_create(
            [
                StatementLine(
                    statement=statement,
                    position=position,
                    section=line.section,
                    kind=line.kind,
                    adjusts_id=line.adjusts_id,
                    owner=line.owner,
                    track_id=line.track_id,
                    isrc=line.isrc,
                    title=line.title,
                    store=line.store,
                    note=line.note,
                    units=line.units,
                    gross=line.gross,
                    share_pct=line.share_pct,
                    artist_amount=line.artist,
                    co_artists_amount=line.co_artists,
                    label_amount=line.label,
                    held_amount=line.held,
                )
                for position, line in enumerate(doc.lines, start=1)
            ]
        )
        StatementPayment.objects.filter(pk__in=doc.payment_ids).update(counted_in=statement)
        if selectors.statement_checksum(selectors.statement_doc_get(statement=statement)) != doc.checksum:
            raise AssertionError("the stored statement does not read back as issued")  # rolls the issue back
    return statement


def statement_payment_record(
    *, statement: Statement, amount: Decimal, paid_on: date, reference: str = "", recorded_by=None
) -> StatementPayment:
    """A payment to the artist against an issued statement; the artist's next statement counts it."""
    if not amount:
        raise ValueError("a payment amount cannot be 0")
    return StatementPayment.objects.create(
        statement=statement, amount=amount, paid_on=paid_on, reference=reference, recorded_by=recorded_by
    )
