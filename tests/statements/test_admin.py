"""The admin's Statements section through Django's test client: staff only, draft preview with its figures and
refusals, issue, the read-only issued statement, downloads, and recording a payment (the browser walk is in
test_admin_browser.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from statements import renderers, selectors
from statements.models import Statement, StatementPayment
from statements.periods import period_parse
from tests.statements.conftest import SPLITS, splits_set
from warehouse.models import Artist

pytestmark = pytest.mark.django_db
PREVIEW = "/admin/statements/statement/preview/"


@pytest.fixture
def admin_client_(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_staff_only(client, plain_user, loaded):
    for path in (PREVIEW, "/admin/statements/statement/", "/admin/statements/statementpayment/add/"):
        assert client.get(path).status_code == 302  # to the login page
        logged = Client()
        logged.force_login(plain_user)
        response = logged.get(path)
        assert (response.status_code, response.url.startswith("/admin/login/")) == (302, True)


def test_preview_refuses_then_issues_then_records_a_payment(admin_client_, splits, staff_user):
    pig = Artist.objects.get(name="PIG1987")
    splits_set({"QZES62532055": SPLITS["QZES62532055"]}, confirmed=False)
    page = admin_client_.get(PREVIEW, {"artist": pig.pk, "period": "2025-Q1"}).content.decode()
    assert 'id="refusals"' in page and "HEAVEN NIGHTCLUB (feat. ZONE A0) (QZES62532055), Spotify: split not" in page
    assert 'id="issue" disabled' in page
    response = admin_client_.post(PREVIEW, {"artist": pig.pk, "period": "2025-Q1"}, follow=True)
    assert "Not issued: PIG1987 2025-Q1: amounts held until staff confirm the split" in response.content.decode()
    assert Statement.objects.count() == 0

    splits_set()
    draft = selectors.statement_draft_get(artist=pig, period=period_parse("2025-Q1"))
    page = admin_client_.get(PREVIEW, {"artist": pig.pk, "period": "2025-q1"}).content.decode()
    assert '<td class="st-num" id="gross">439.62</td>' in page
    assert f'<td class="st-num" id="closing-balance">{draft.totals.closing_balance:.2f}</td>' in page
    assert 'id="refusals"' not in page and 'id="issue" >' in page
    csv_response = admin_client_.get(PREVIEW, {"artist": pig.pk, "period": "2025-Q1", "download": "csv"})
    assert csv_response.content.decode() == renderers.statement_csv(draft)
    assert csv_response["Content-Disposition"] == 'attachment; filename="pig1987_2025-Q1_draft.csv"'

    response = admin_client_.post(PREVIEW, {"artist": pig.pk, "period": "2025-Q1"})
    statement = Statement.objects.get()
    assert response.url == f"/admin/statements/statement/{statement.pk}/change/"
    assert (statement.issued_by, statement.checksum) == (staff_user, draft.checksum)
    page = admin_client_.get(response.url).content.decode()
    assert 'id="checksum-ok"' in page and '<td class="st-num" id="gross">439.62</td>' in page
    pdf = admin_client_.get(f"/admin/statements/statement/{statement.pk}/download/pdf/")
    assert (pdf["Content-Type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
    # the same period again: the preview sends staff to the issued statement
    again = admin_client_.get(PREVIEW, {"artist": pig.pk, "period": "2025-Q1"})
    assert again.url == f"/admin/statements/statement/{statement.pk}/change/"

    add = f"/admin/statements/statementpayment/add/?statement={statement.pk}"
    assert f'<option value="{statement.pk}" selected>' in admin_client_.get(add).content.decode()
    response = admin_client_.post(
        add, {"statement": statement.pk, "amount": "120.50", "paid_on": "2025-07-01", "reference": "wire 0042"}
    )
    assert response.status_code == 302
    payment = StatementPayment.objects.get()
    assert (payment.amount, payment.paid_on, payment.reference, payment.recorded_by, payment.counted_in) == (
        Decimal("120.50"),
        dt.date(2025, 7, 1),
        "wire 0042",
        staff_user,
        None,
    )
    zero = admin_client_.post(add, {"statement": statement.pk, "amount": "0", "paid_on": "2025-07-01"})
    assert "A payment cannot be 0" in zero.content.decode() and StatementPayment.objects.count() == 1
    q2 = admin_client_.get(PREVIEW, {"artist": pig.pk, "period": "2025-Q2"}).content.decode()
    closing = (
        statement.closing_balance
        - Decimal("120.50")
        + selectors.statement_draft_get(artist=pig, period=period_parse("2025-Q2")).totals.artist
        + selectors.statement_draft_get(artist=pig, period=period_parse("2025-Q2")).totals.featured
    )
    assert f'<td class="st-num" id="closing-balance">{closing:.2f}</td>' in q2
    # issued statements and recorded payments are never edited or deleted in the admin
    assert admin_client_.post(f"/admin/statements/statement/{statement.pk}/delete/").status_code == 403
    assert admin_client_.post(f"/admin/statements/statementpayment/{payment.pk}/delete/").status_code == 403
    assert admin_client_.get("/admin/statements/statement/add/").status_code == 403
