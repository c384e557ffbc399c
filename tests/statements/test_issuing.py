"""Issuing: refused while a split is unconfirmed or the period is taken; issued statements never change (checksum),
a later DK snapshot revising lines of an issued period shows as exact adjustments on the next statement, and
payments recorded against a statement are counted once, on the next one."""

import datetime as dt
from decimal import Decimal

import pytest

from statements import selectors, services
from statements.models import Immutable, Statement, StatementLine
from statements.periods import period_parse
from tests.etl.helpers import curated, read_rows, run_loader, write_csv
from tests.statements.conftest import SPLITS, splits_set
from warehouse.models import Artist

pytestmark = pytest.mark.django_db
Q1, Q2, Q3 = period_parse("2025-Q1"), period_parse("2025-Q2"), period_parse("2025-Q3")
D = Decimal


def test_unconfirmed_split_is_held_and_refused_until_staff_confirm_it(splits):
    heaven = {"QZES62532055": SPLITS["QZES62532055"]}
    splits_set(heaven, confirmed=False)
    pig, zone = Artist.objects.get(name="PIG1987"), Artist.objects.get(name="ZONE A0")
    draft = selectors.statement_draft_get(artist=pig, period=Q1)
    held = [l for l in draft.lines if l.held]
    assert {(l.section, l.isrc, l.note, l.artist, l.label, l.share_pct) for l in held} == {
        ("own", "QZES62532055", "split not confirmed", D(0), D(0), None)
    }
    assert (
        draft.totals.held == sum(l.gross for l in held) == sum(l.gross for l in draft.lines if l.isrc == "QZES62532055")
    )
    assert draft.totals.artist + draft.totals.co_artists + draft.totals.label + draft.totals.held == D("439.62")
    assert draft.refusals == [
        f"HEAVEN NIGHTCLUB (feat. ZONE A0) (QZES62532055), {l.store}: split not confirmed" for l in held
    ]
    with pytest.raises(
        services.StatementRefused,
        match=r"PIG1987 2025-Q1: amounts held until staff confirm the "
        r"split: HEAVEN NIGHTCLUB \(feat. ZONE A0\) \(QZES62532055\), Apple Music: split not confirmed",
    ):
        services.statement_issue(artist=pig, period=Q1)
    # the featured artist's share of it is unknown too
    zone_draft = selectors.statement_draft_get(artist=zone, period=Q1)
    assert {l.section for l in zone_draft.lines if l.held} == {"featured"} and zone_draft.refusals
    # shares adding up to more than 100 % are not a split either
    splits_set({"QZES62532055": {"PIG1987": D("10"), "ZONE A0": D("20")}})
    assert {l.note for l in selectors.statement_draft_get(artist=pig, period=Q1).lines if l.held} == {
        "split not confirmed: artist shares exceed 100 %"
    }
    splits_set(heaven)
    statement = services.statement_issue(artist=pig, period=Q1)
    assert (statement.gross, statement.label_amount + statement.artist_amount + statement.co_artists_amount) == (
        D("439.62"),
        D("439.62"),
    )
    assert Statement.objects.count() == 1 and not selectors.statement_draft_get(artist=pig, period=Q1).refusals


def test_an_issued_statement_never_changes_and_a_period_is_issued_once(splits, staff_user):
    pig = Artist.objects.get(name="PIG1987")
    statement = services.statement_issue(artist=pig, period=Q1, issued_by=staff_user)
    doc = selectors.statement_doc_get(statement=statement)
    assert selectors.statement_checksum(doc) == statement.checksum
    assert (doc.issued_by, doc.status, len(doc.lines)) == ("staff", "issued", statement.lines.count())
    statement.closing_balance = D("1000000")
    with pytest.raises(Immutable, match=f"statement {statement.pk} is issued and never changes"):
        statement.save()
    with pytest.raises(Immutable):
        statement.delete()
    line = StatementLine.objects.filter(statement=statement).first()
    with pytest.raises(Immutable):
        line.save()
    for period in ("2025-Q1", "2025-03", "2024-12..2025-01"):
        with pytest.raises(services.StatementRefused, match=rf"statement #{statement.pk} \(2025-Q1\) already covers"):
            services.statement_issue(artist=pig, period=period_parse(period))
    assert Statement.objects.get().closing_balance == doc.totals.closing_balance


def _pick(rows, store):
    """A positive PERVERSION (PIG1987, solo, 50 %) line of 2025-02 in `store`, big enough to lose 0.50."""
    return next(
        i for i, r in enumerate(rows) if r[5] == "QZTBF2439187" and r[1] == "2025-02" and r[2] == store and D(r[12]) > 1
    )


def test_a_revised_snapshot_adjusts_the_next_statement_and_never_the_issued_one(lake_copy, staff_user):
    assert run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")[0] == 0
    splits_set()
    pig = Artist.objects.get(name="PIG1987")
    q1 = services.statement_issue(artist=pig, period=Q1, issued_by=staff_user)
    issued = selectors.statement_doc_get(statement=q1)
    payment = services.statement_payment_record(
        statement=q1, amount=D("100.00"), paid_on=dt.date(2025, 7, 15), reference="PayPal 7XK2", recorded_by=staff_user
    )

    header, rows = read_rows(curated(lake_copy, "dk_bank_details.csv"))
    up, down = _pick(rows, "Spotify"), _pick(rows, "Apple Music")
    rows[up][12] = str(D(rows[up][12]) + D("1.00"))
    rows[down][12] = str(D(rows[down][12]) - D("0.50"))
    write_csv(curated(lake_copy, "dk_bank_details.csv"), header, rows)
    code, payload, _ = run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")
    assert (code, payload["files"][0]["rows_inserted"], payload["files"][0]["rows_unchanged"]) == (0, 2, 8633)

    # the issued statement: the same lines, totals and checksum
    q1.refresh_from_db()
    after = selectors.statement_doc_get(statement=q1)
    assert (after.lines, after.totals, q1.checksum) == (issued.lines, issued.totals, issued.checksum)
    assert selectors.statement_checksum(after) == q1.checksum
    assert selectors.statement_draft_get(artist=pig, period=Q1).totals.gross == D("440.12")  # what Q1 says now

    # the next statement carries exactly the difference
    q2 = selectors.statement_draft_get(artist=pig, period=Q2)
    adjustments = [
        (
            l.adjusts_period,
            l.section,
            l.isrc,
            l.store,
            l.kind,
            l.units,
            l.gross,
            l.share_pct,
            l.artist,
            l.co_artists,
            l.label,
            l.held,
        )
        for l in q2.lines
        if l.adjusts_period
    ]
    assert adjustments == [
        (
            "2025-Q1",
            "own",
            "QZTBF2439187",
            "Apple Music",
            "earnings",
            0,
            D("-0.50"),
            D(50),
            D("-0.25"),
            D(0),
            D("-0.25"),
            D(0),
        ),
        (
            "2025-Q1",
            "own",
            "QZTBF2439187",
            "Spotify",
            "earnings",
            0,
            D("1.00"),
            D(50),
            D("0.50"),
            D(0),
            D("0.50"),
            D(0),
        ),
    ]
    t = q2.totals
    assert (t.opening_balance, t.adjustments, t.payments) == (issued.totals.closing_balance, D("0.25"), D("100.00"))
    assert t.closing_balance == issued.totals.closing_balance + t.artist + t.featured + D("0.25") - D("100.00")

    # issued, the adjustment is carried once: the statement after has none, and opens with Q2's closing balance
    q2_statement = services.statement_issue(artist=pig, period=Q2)
    payment.refresh_from_db()
    assert payment.counted_in_id == q2_statement.pk and q2_statement.payments_amount == D("100.00")
    q3 = selectors.statement_draft_get(artist=pig, period=Q3)
    assert [l for l in q3.lines if l.adjusts_period] == []
    assert (q3.totals.opening_balance, q3.totals.payments, q3.totals.closing_balance) == (
        q2_statement.closing_balance,
        D(0),
        q2_statement.closing_balance,
    )


def test_a_retracted_line_is_a_negative_adjustment(lake_copy):
    assert run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")[0] == 0
    splits_set()
    zone = Artist.objects.get(name="ZONE A0")
    q1 = services.statement_issue(artist=zone, period=Q1)
    header, rows = read_rows(curated(lake_copy, "dk_bank_details.csv"))
    gone = next(i for i, r in enumerate(rows) if r[5] == "QZTAW2496365" and r[1] == "2025-03" and r[2] == "TikTok")
    lost = rows.pop(gone)
    write_csv(curated(lake_copy, "dk_bank_details.csv"), header, rows)
    assert run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")[0] == 0
    now = selectors.statement_draft_get(artist=zone, period=Q1).totals.gross
    assert now == (q1.gross - D(lost[12])).quantize(D("0.01"))
    adjustments = [l for l in selectors.statement_draft_get(artist=zone, period=Q2).lines if l.adjusts_period]
    # the retracted line's group loses its units and its earnings; the lost fraction of a cent can move one cent
    # between lines (money.py's rule), and the adjustments add up to exactly what the period's gross moved by
    tiktok = next(l for l in adjustments if (l.isrc, l.store) == ("QZTAW2496365", "TikTok"))
    assert tiktok.units == -int(lost[7]) and abs(tiktok.gross + D(lost[12])) < D("0.01")
    assert all(l.units == 0 and abs(l.gross) == D("0.01") for l in adjustments if l is not tiktok)
    assert sum(l.gross for l in adjustments) == now - q1.gross
    assert all(l.artist + l.co_artists + l.label == l.gross for l in adjustments)
