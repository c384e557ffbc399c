"""Every operation of the served OpenAPI schema (`GET /api/schema/`) is called, on the loaded sample lake and on an
empty warehouse, and each real response body is validated against the schema documented for its status code.

The schema is OpenAPI 3.0 (drf-spectacular); it becomes JSON Schema here: `nullable` admits null, and an object
that lists its properties admits no other key (an undocumented field is drift too). A field marked required that
the body lacks, a wrong type, a status with no documented body, or a schema operation this file does not call
fails the test."""

import copy

import jsonschema
import pytest

from statements import services as statement_services
from statements.periods import period_parse
from tests.api.conftest import token_client
from tests.statements.conftest import splits_set
from warehouse.models import Artist

pytestmark = pytest.mark.django_db

# Query strings per operation: the defaults, plus the variants whose bodies take another shape (every streaming
# source, every financial series, optional blocks such as `daily`, the `all` and partial-day rows).
GETS = {
    "/health/": [""],
    "/api/health/": [""],
    "/api/kpis/": [""],
    "/api/kpis/summary/": [""],
    "/api/kpis/realtime/": [""],
    "/api/kpis/goals/": [""],
    "/api/kpis/alerts/": [""],
    "/api/revenue/distributor/": [""],
    "/api/revenue/monthly/": ["", "include_expected=false&months=3"],
    "/api/revenue/platform/": [""],
    "/api/revenue/artist/": [""],
    "/api/revenue/delays/": [""],
    "/api/revenue/rps-rates/": [""],
    "/api/streaming/daily/": ["", "source=all&include_partial=true", "source=toolost&days=7"],
    "/api/streaming/summary/": [""],
    "/api/streaming/growth/": ["", "period=weekly", "period=daily"],
    "/api/streaming/spotify-audience/": ["", "artist=PIG1987"],
    "/api/streaming/": [
        "",
        "source=distrokid&group_by=platform&granularity=week",
        "source=spotify_audience&group_by=artist",
        "source=royalty&group_by=artist,store,country",
        "source=spotify_songs&time_period=28day&group_by=spotify_track_id",
    ],
    "/api/financial/": [
        "",
        "series=revenue,expected,expenses,ad_spend&granularity=month",
        "series=revenue&basis=reporting_date&granularity=week&group_by=artist,platform",
        "series=expected&group_by=source,platform",
        "series=expenses&group_by=category",
        "series=ad_spend&group_by=artist,campaign_id",
    ],
    "/api/social/": ["", "platform=tiktok&granularity=month", "platform=linktree"],
    "/api/campaigns/": ["", "include_daily=true&granularity=week"],
    "/api/campaigns/streams/": [""],
    "/api/sources/": [""],
    "/api/artists/": [""],
    "/api/tracks/": [""],
    "/api/platforms/": [""],
    "/api/loads/": [""],
    "/api/statements/": [""],
    "/api/artists/{id}/": [""],
    "/api/tracks/{id}/": [""],
    "/api/platforms/{id}/": [""],
    "/api/loads/{id}/": [""],
    "/api/statements/{id}/": [""],
}
# Each path's {id}: the first row of its list endpoint
DETAIL_OF = {path: path.replace("{id}/", "") for path in GETS if "{id}" in path}


def json_schema(node):
    """OpenAPI 3.0 schema object → JSON Schema (draft 2020-12)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


class Conformance:
    def __init__(self, document: dict):
        self.document = document
        self.components = json_schema(document["components"])
        self.seen: set[tuple[str, str]] = set()

    def check(self, method: str, path: str, response) -> None:
        """The body of `response` (to `method` `path` of the schema) matches the schema of its status code."""
        self.seen.add((method, path))
        responses = self.document["paths"][path][method]["responses"]
        assert str(response.status_code) in responses, f"{method} {path}: status {response.status_code} undocumented"
        schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft202012Validator(
            {**json_schema(copy.deepcopy(schema)), "components": self.components},
            format_checker=jsonschema.FormatChecker(),
        )
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json())]
        assert not errors, f"{method} {path} ({response.status_code}): " + "; ".join(errors[:10])

    def operations(self) -> set[tuple[str, str]]:
        return {(method, path) for path, ops in self.document["paths"].items() for method in ops}


def _schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _call_every_get(client, conformance: Conformance) -> None:
    ids = {}
    for path, queries in GETS.items():
        if "{id}" in path and path not in ids:
            continue  # its list is empty
        for query in queries:
            url = path.format(id=ids[path]) if "{id}" in path else path
            response = client.get(f"{url}?{query}" if query else url)
            conformance.check("get", path, response)
            if path in DETAIL_OF.values() and response.status_code == 200 and response.json()["data"]:
                for detail, listing in DETAIL_OF.items():
                    if listing == path:
                        ids[detail] = response.json()["data"][0]["id"]


def test_every_operation_on_the_sample_lake_matches_the_schema(loaded, staff_user, viewer):
    splits_set()
    for name in ("PIG1987", "ZONE A0"):  # issued statements, for /api/statements and its detail
        statement_services.statement_issue(
            artist=Artist.objects.get(name=name), period=period_parse("2025-Q1"), issued_by=staff_user
        )
    staff = token_client(staff_user)
    conformance = Conformance(_schema(staff))
    _call_every_get(staff, conformance)
    # Errors in their documented envelope: bad parameter, no credentials, staff-only routes for a plain user
    conformance.check("get", "/api/streaming/", staff.get("/api/streaming/?granularity=hour"))
    assert staff.get("/api/streaming/?granularity=hour").status_code == 400
    anonymous = token_client(staff_user)
    anonymous.credentials()
    assert anonymous.get("/api/kpis/").status_code == 401
    conformance.check("get", "/api/kpis/", anonymous.get("/api/kpis/"))
    assert viewer.get("/api/statements/").status_code == 403
    conformance.check("get", "/api/statements/", viewer.get("/api/statements/"))
    # Refresh last (it queues a run): accepted, then refused while that run is queued
    first = staff.post("/api/refresh/", {"kinds": ["tiktok"]}, format="json")
    assert first.status_code == 202
    conformance.check("post", "/api/refresh/", first)
    conformance.check("post", "/api/refresh/", staff.post("/api/refresh/", {}, format="json"))
    conformance.check("post", "/api/refresh/", staff.post("/api/refresh/", {"kinds": ["nope"]}, format="json"))
    assert conformance.seen == conformance.operations()


class _Response:
    def __init__(self, status_code: int, body: dict):
        self.status_code, self.body = status_code, body

    def json(self) -> dict:
        return self.body


def test_the_check_fails_on_drift(viewer):
    """The check can fail: a required field absent, a wrong type, an undocumented field, an undocumented status."""
    conformance = Conformance(_schema(viewer))
    accepted = {"success": True, "data": {"load_run_id": 1, "status": "queued"}, "metadata": {}}
    conformance.check("post", "/api/refresh/", _Response(202, accepted))
    for data in ({"status": "queued"}, {"load_run_id": "1", "status": "queued"}, {**accepted["data"], "pid": 7}):
        with pytest.raises(AssertionError, match="post /api/refresh/ \\(202\\): "):
            conformance.check("post", "/api/refresh/", _Response(202, {**accepted, "data": data}))
    with pytest.raises(AssertionError, match="status 200 undocumented"):
        conformance.check("post", "/api/refresh/", _Response(200, accepted))
