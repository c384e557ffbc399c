"""OpenAPI: `spectacular --validate --fail-on-warn` is clean, Swagger UI serves offline assets, and schemathesis
drives every operation in-process (WSGI, token auth) over the loaded sample lake with zero server errors."""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from tests.factories import api_token_for

pytestmark = pytest.mark.django_db


def test_spectacular_validate_is_clean(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/kpis/summary/", "/api/revenue/monthly/", "/api/refresh/", "/api/loads/{id}/", "/health/"):
        assert f"  {path}:" in text


def test_swagger_ui_uses_the_bundled_assets(viewer):
    page = viewer.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert viewer.get("/api/schema/").status_code == 200


@pytest.fixture
def keep_test_connection():
    """A raw WSGIHandler closes the DB connection after each request; Django's test client avoids that the same
    way: detach close_old_connections while the in-process calls run (they share the test's transaction)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_server_errors(loaded, plain_user, keep_test_connection):
    document = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    headers = {"Authorization": f"Token {api_token_for(plain_user)}"}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        check()
    # 30 + the two statement routes (staff only: tests/statements/test_api.py drives them as staff) + the page's
    # /api/sources and /api/campaigns/streams
    assert operations == 34
