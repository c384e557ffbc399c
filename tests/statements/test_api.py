"""GET /api/statements and /api/statements/{id}: staff only, the API's envelope, figures equal to the independent
CSV computation, allow-listed parameters, and both in the OpenAPI schema."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from statements import services
from statements.periods import period_parse
from tests.statements.test_sample_lake import csv_statement_lines
from warehouse.models import Artist
from warehouse.selectors import ts

pytestmark = pytest.mark.django_db


def money(value) -> str:
    return f"{value:.2f}"


def expected_totals(lines: list[tuple], *, payments=Decimal(0), opening=Decimal(0)) -> dict:
    own = [l for l in lines if l[0] == "own"]
    artist, featured = sum(l[7] for l in own), sum(l[7] for l in lines if l[0] == "featured")
    return {
        "units": sum(l[5] for l in own if l[4] == "earnings"),
        "gross": money(sum(l[6] for l in own)),
        "artist": money(artist),
        "featured": money(featured),
        "co_artists": money(sum(l[8] for l in own)),
        "label": money(sum(l[9] for l in own)),
        "held": "0.00",
        "adjustments": "0.00",
        "opening_balance": money(opening),
        "payments": money(payments),
        "closing_balance": money(opening + artist + featured - payments),
    }


@pytest.fixture
def issued(splits, staff_user):
    q1 = period_parse("2025-Q1")
    made = {
        name: services.statement_issue(artist=Artist.objects.get(name=name), period=q1, issued_by=staff_user)
        for name in ("PIG1987", "ZONE A0")
    }
    services.statement_payment_record(
        statement=made["PIG1987"], amount=Decimal("150.00"), paid_on=dt.date(2025, 7, 1), reference="wire 0042"
    )
    return made


def summary(statement, totals) -> dict:
    return {
        "id": statement.pk,
        "status": "issued",
        "artist": statement.artist.name,
        "period": "2025-Q1",
        "period_start": "2025-01",
        "period_end": "2025-03",
        "issued_at": ts(statement.issued_at),
        "issued_by": "staff",
        "checksum": statement.checksum,
        "totals": totals,
    }


def test_list_filters_by_artist_and_period(staff, issued, splits):
    oracle = csv_statement_lines("2025-Q1", splits)
    body = staff.get("/api/statements", {"artist": "pig1987", "period": "2025-q1"}).json()
    assert body == {
        "success": True,
        "data": [summary(issued["PIG1987"], expected_totals(oracle["PIG1987"]))],
        "metadata": {"count": 1, "limit": 50, "offset": 0, "next": None, "previous": None},
    }
    assert body["data"][0]["totals"]["gross"] == "439.62"
    every = staff.get("/api/statements/").json()
    assert [row["artist"] for row in every["data"]] == ["ZONE A0", "PIG1987"]  # newest first
    assert every["data"][0]["totals"]["gross"] == "499.79"
    assert staff.get("/api/statements", {"period": "2025-Q2"}).json()["data"] == []


def test_detail_holds_every_line_and_the_payments(staff, issued, splits):
    statement = issued["PIG1987"]
    body = staff.get(f"/api/statements/{statement.pk}").json()
    oracle = csv_statement_lines("2025-Q1", splits)["PIG1987"]
    lines = body["data"].pop("lines")
    assert body == {
        "success": True,
        "data": {
            **summary(statement, expected_totals(oracle)),
            "payments": [
                {
                    "id": statement.payments.get().pk,
                    "amount": "150.00",
                    "paid_on": "2025-07-01",
                    "reference": "wire 0042",
                    "counted_in": None,
                }
            ],
        },
        "metadata": {"checksum_verified": True},
    }
    shares = {"QZES62532055": "35", "QZZ792400421": "20"}
    assert sorted(lines, key=lambda l: (l["section"], l["isrc"], l["store"], l["kind"])) == [
        {
            "section": s,
            "kind": kind,
            "adjusts_period": None,
            "owner": owner,
            "isrc": isrc,
            "title": next(l["title"] for l in lines if l["isrc"] == isrc),
            "store": store,
            "units": units,
            "share_pct": shares.get(isrc, "50"),
            "gross": money(gross),
            "artist": money(artist),
            "co_artists": money(co),
            "label": money(label),
            "held": "0.00",
            "note": "",
        }
        for s, owner, isrc, store, kind, units, gross, artist, co, label in oracle
    ]


def test_staff_only_and_parameters_are_allow_listed(client, viewer, staff, issued):
    assert APIClient().get("/api/statements").json() == {
        "success": False,
        "error": "Authentication credentials were not provided.",
    }
    assert APIClient().get("/api/statements").status_code == 401
    for path in ("/api/statements", f"/api/statements/{issued['PIG1987'].pk}"):
        response = viewer.get(path)
        assert (response.status_code, response.json()) == (
            403,
            {"success": False, "error": "You do not have permission to perform this action."},
        )
    bad = staff.get("/api/statements", {"period": "2025-Q5"})
    assert (bad.status_code, bad.json()) == (
        400,
        {
            "success": False,
            "error": 'invalid parameter "period": period '
            "'2025-Q5' is not one of YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM",
        },
    )
    bad = staff.get("/api/statements", {"artist": "Nobody"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"success": False, "error": "invalid parameter \"artist\": no artist named 'Nobody'"},
    )
    for name in ("PIG\x001987", "A" * 201):
        assert staff.get("/api/statements", {"artist": name}).json() == {
            "success": False,
            "error": 'invalid parameter "artist": not an artist\'s name',
        }
    missing = staff.get("/api/statements/999999")
    assert (missing.status_code, missing.json()) == (404, {"success": False, "error": "no statement 999999"})


def test_both_routes_are_in_the_openapi_schema(staff):
    schema = staff.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["paths"]["/api/statements/"]["get"]["summary"] == "Issued royalty statements (staff)"
    assert {p["name"] for p in schema["paths"]["/api/statements/"]["get"]["parameters"]} == {
        "artist",
        "period",
        "limit",
        "offset",
    }
    detail = schema["paths"]["/api/statements/{id}/"]["get"]
    assert detail["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/StatementResponse"
    )


def test_schemathesis_as_staff_finds_no_server_errors(issued, staff_user, keep_test_connection):
    import json

    import schemathesis
    from django.core.handlers.wsgi import WSGIHandler
    from drf_spectacular.generators import SchemaGenerator
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis.checks import not_a_server_error

    from tests.factories import api_token_for

    document = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    headers = {"Authorization": f"Token {api_token_for(staff_user)}"}
    operations = [result.ok() for result in schema.get_all_operations() if "/statements" in result.ok().path]
    assert [op.path for op in operations] == ["/api/statements/", "/api/statements/{id}/"]
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            assert response.status_code in (200, 400, 404)

        check()
