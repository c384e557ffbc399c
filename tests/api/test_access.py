"""Access rules: 401 on every protected route (iterating the URL conf), API_PUBLIC_READ, staff-only refresh with
CSRF for sessions, both slash forms without redirects, 400s naming the parameter, JSON 404s, throttling."""

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

PUBLIC = {"/health", "/api/health"}
RESOURCES = {
    "/api/artists",
    "/api/artists/1",
    "/api/tracks",
    "/api/tracks/1",
    "/api/platforms",
    "/api/platforms/1",
    "/api/loads",
    "/api/loads/1",
}
NOT_API = {"/api/schema", "/api/docs"}  # the schema and Swagger UI follow the same auth rule (tested below)
STAFF = {"/api/statements", "/api/statements/1"}  # royalty statements: staff only (tests/statements/test_api.py)


def _routes() -> set[str]:
    """Every path the URL conf serves under the API (regex → concrete path: `/?$` dropped, `{pk}` → 1)."""

    def walk(patterns, prefix=""):
        for p in patterns:
            regex = prefix + str(
                p.pattern.regex.pattern if isinstance(p, URLPattern) else p.pattern.regex.pattern
            ).lstrip("^")
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, regex)
            else:
                yield regex

    paths = set()
    for regex in walk(get_resolver().url_patterns):
        if not regex.startswith(("api/", "health")) or regex == "api/":
            continue  # the admin, the page (dashboard/, tests/dashboard) and the JSON 404 catch-all
        path = "/" + re.sub(r"\(\?P<pk>[^)]*\)", "1", regex).replace("/?$", "").replace("$", "").rstrip("/")
        if "\\" in path or "(?P" in path:
            continue  # format-suffix variants
        paths.add(path)
    return paths


ROUTES = sorted(_routes())


def test_the_url_conf_has_every_contract_route():
    contract = {
        "/health",
        "/api/health",
        "/api/kpis/summary",
        "/api/kpis/realtime",
        "/api/kpis/goals",
        "/api/kpis/alerts",
        "/api/revenue/distributor",
        "/api/revenue/monthly",
        "/api/revenue/platform",
        "/api/revenue/artist",
        "/api/revenue/delays",
        "/api/revenue/rps-rates",
        "/api/streaming/daily",
        "/api/streaming/summary",
        "/api/streaming/growth",
        "/api/streaming/spotify-audience",
        "/api/kpis",
        "/api/streaming",
        "/api/financial",
        "/api/social",
        "/api/campaigns",
        "/api/refresh",
        *RESOURCES,
        *NOT_API,
        *STAFF,
        "/api/sources",
        "/api/campaigns/streams",  # the warehouse's own page (docs/API.md)
    }
    assert set(ROUTES) == contract


@pytest.mark.parametrize("path", [p for p in ROUTES if p not in PUBLIC])
def test_every_protected_route_is_401_without_credentials(path):
    client = APIClient()
    method = client.post if path == "/api/refresh" else client.get
    for variant in (path, path + "/"):
        response = method(variant)
        assert response.status_code == 401, variant
        assert response["WWW-Authenticate"] == "Token"
        # the JSON envelope on every route, the YAML schema and the HTML Swagger UI included
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"success": False, "error": "Authentication credentials were not provided."}
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    response = (bad.post if path == "/api/refresh" else bad.get)(path)
    assert (response.status_code, response["Content-Type"], response.json()) == (
        401,
        "application/json",
        {"success": False, "error": "Invalid token."},
    )


def test_health_routes_are_anonymous_and_never_redirect():
    client = APIClient()
    for path in ("/health", "/health/"):
        assert client.get(path).json() == {"status": "healthy", "service": "dashboard-backend"}
    body = client.get("/api/health/").json()
    assert body["data"]["checks"]["database"]["ok"] is True
    assert body["data"]["checks"]["channel_layer"] == {"ok": True}
    assert body["data"]["checks"]["last_load_run"] is None and body["data"]["status"] == "ok"


@pytest.mark.parametrize("path", [p for p in ROUTES if p not in PUBLIC | {"/api/refresh"}])
def test_both_slash_forms_answer_the_same_without_redirect(viewer, path):
    without, with_slash = viewer.get(path), viewer.get(path + "/")
    expected = 404 if path[-1] == "1" and "loads" in path else 200  # no load run 1 in an empty warehouse
    expected = 403 if path in STAFF else expected  # the viewer is not staff
    assert (without.status_code, with_slash.status_code) == (expected, expected)
    if path not in NOT_API:
        first, second = without.json(), with_slash.json()
        for body in (first, second):
            body.get("metadata", {}).pop("generated_at", None)  # /api/kpis stamps its computation time
        assert first == second


def test_public_read_opens_only_the_dashboard_gets(settings, staff_user):
    anonymous = APIClient()
    dashboard = [p for p in ROUTES if p not in PUBLIC | RESOURCES | NOT_API | STAFF | {"/api/refresh"}]
    settings.API_PUBLIC_READ = True
    for path in dashboard:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert response.json()["success"] in (True, False)  # soft failures on an empty warehouse are fine
    for path in sorted(RESOURCES | NOT_API | STAFF):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post("/api/refresh", {}, format="json").status_code == 401
    settings.API_PUBLIC_READ = False
    assert {anonymous.get(path).status_code for path in dashboard} == {401}


def test_refresh_needs_staff_and_csrf_for_sessions(viewer, plain_user, staff_user):
    assert viewer.post("/api/refresh", {}, format="json").json() == {
        "success": False,
        "error": "You do not have permission to perform this action.",
    }
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(staff_user)
    response = session.post("/api/refresh", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"].startswith("CSRF Failed")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/api/streaming?granularity=year",
            'invalid parameter "granularity": Select a valid choice. year is not one '
            "of the available choices. (allowed: day, week, month)",
        ),
        ("/api/streaming?start=2025-02-30", 'invalid parameter "start": Enter a valid date.'),
        ("/api/streaming?end=yesterday", 'invalid parameter "end": Enter a valid date.'),
        (
            "/api/streaming?artist=nobody",
            'invalid parameter "artist": unknown artist "nobody" (use a canonical name or a known alias)',
        ),
        (
            "/api/streaming?platform=myspace",
            'invalid parameter "platform": Select a valid choice. That choice is not '
            "one of the available choices. (allowed: amazon_music, apple_music, deezer, facebook, flo, itunes, luna, "
            "netease, pandora, spotify, tidal, tiktok, youtube)",
        ),
        (
            "/api/streaming?isrc=HOLD%20ON%20I",
            'invalid parameter "isrc": "HOLD ON I" is not an ISRC (CCXXXYYNNNNN, '
            "e.g. QZTAW2496365); titles are not accepted",
        ),
        (
            "/api/streaming?source=spotify_audience&isrc=QZTAW2496365",
            'invalid parameter "isrc": dimension "isrc" not available for source "spotify_audience"',
        ),
        (
            "/api/streaming?group_by=country",
            'invalid parameter "group_by": dimension "country" not available for source "distributor"',
        ),
        (
            "/api/streaming?start=2025-05-02&end=2025-05-01",
            'invalid parameter "start": start 2025-05-02 must be on or before end 2025-05-01',
        ),
        (
            "/api/streaming?start=2020-01-01&end=2025-01-01",
            'invalid parameter "start": range of 1828 day periods exceeds the cap of 731',
        ),
        (
            "/api/streaming?source=royalty&granularity=day",
            'invalid parameter "granularity": source "royalty" is monthly (Sale Month): granularity must be "month"',
        ),
        (
            "/api/streaming?source=spotify_songs",
            'invalid parameter "time_period": source "spotify_songs" requires '
            "time_period (1day, 7day, 28day, 1year, all, unknown)",
        ),
        (
            "/api/financial?series=profit",
            'invalid parameter "series": unknown value "profit" (allowed: revenue, expected, expenses, ad_spend)',
        ),
        (
            "/api/revenue/monthly?months=0",
            'invalid parameter "months": Ensure this value is greater than or equal to 1.',
        ),
        (
            "/api/revenue/monthly?months=121",
            'invalid parameter "months": Ensure this value is less than or equal to 120.',
        ),
        (
            "/api/revenue/monthly?include_expected=maybe",
            'invalid parameter "include_expected": "maybe" is not a boolean (true, false, 1, 0)',
        ),
        ("/api/streaming/daily?days=366", 'invalid parameter "days": Ensure this value is less than or equal to 365.'),
        (
            "/api/streaming/daily?source=spotify",
            'invalid parameter "source": Select a valid choice. spotify is not '
            "one of the available choices. (allowed: distrokid, toolost, all)",
        ),
        (
            "/api/streaming/growth?period=yearly",
            'invalid parameter "period": Select a valid choice. yearly is not one '
            "of the available choices. (allowed: daily, weekly, monthly)",
        ),
        (
            "/api/artists?ordering=spotify_artist_id",
            "ordering: Select a valid choice. spotify_artist_id is not one of the available choices.",
        ),
        ("/api/loads?status=done", "status: Select a valid choice. done is not one of the available choices."),
        (
            "/api/campaigns?include_daily=yes",
            'invalid parameter "include_daily": "yes" is not a boolean (true, false, 1, 0)',
        ),
        # a "%" in the client's value is quoted, not used as a format directive (was a 500 on the list resources)
        (
            "/api/tracks?isrc=%25s",
            'isrc: "%s" is not an ISRC (CCXXXYYNNNNN, e.g. QZTAW2496365); titles are not accepted',
        ),
        ("/api/tracks?artist=100%25", 'artist: unknown artist "100%" (use a canonical name or a known alias)'),
        (
            "/api/streaming?isrc=%25d%25s",
            'invalid parameter "isrc": "%d%s" is not an ISRC (CCXXXYYNNNNN, '
            "e.g. QZTAW2496365); titles are not accepted",
        ),
        (
            "/api/financial?series=%25(x)s",
            'invalid parameter "series": unknown value "%(x)s" (allowed: revenue, expected, expenses, ad_spend)',
        ),
        (
            "/api/campaigns?include_daily=%25",
            'invalid parameter "include_daily": "%" is not a boolean (true, false, 1, 0)',
        ),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(viewer, path, message):
    response = viewer.get(path)
    assert (response.status_code, response.json()) == (400, {"success": False, "error": message})


def test_token_lookup_follows_the_database_on_every_request(plain_user):
    """api.authentication reads the token and its user on each request: revocation and deactivation apply at once."""
    from warehouse.models import ApiToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(plain_user)}")
    assert client.get("/api/revenue/rps-rates").json()["success"] is True
    plain_user.is_active = False
    plain_user.save()
    response = client.get("/api/revenue/rps-rates")
    assert (response.status_code, response.json()) == (401, {"success": False, "error": "User inactive or deleted."})
    plain_user.is_active = True
    plain_user.save()
    assert client.get("/api/revenue/rps-rates").status_code == 200
    ApiToken.objects.filter(user=plain_user).delete()  # revoked in the admin
    response = client.get("/api/revenue/rps-rates")
    assert (response.status_code, response.json()) == (401, {"success": False, "error": "Invalid token."})


def test_unknown_paths_are_json_404(viewer):
    response = viewer.get("/api/nope")
    assert (response.status_code, response.json()) == (404, {"success": False, "error": "not found"})
    assert viewer.get("/api/loads/999").json() == {"success": False, "error": "Not found."}


def test_throttling_when_enabled(settings, plain_user):
    from tests.api.conftest import token_client

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
    }
    cache.clear()
    client = token_client(plain_user)
    codes = [client.get("/api/revenue/rps-rates").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = client.get("/api/kpis")
    assert throttled.json()["error"].startswith("Request was throttled.")
    anonymous = APIClient()
    assert [anonymous.get("/health").status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()


def test_cors_allows_the_dashboard_origin(viewer):
    response = viewer.get("/api/revenue/rps-rates", HTTP_ORIGIN="http://localhost:3000")
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in viewer.get("/api/revenue/rps-rates", HTTP_ORIGIN="http://evil.example")


def test_unexpected_errors_are_500_without_traceback_or_sql(viewer, monkeypatch):
    from django.db import DatabaseError

    from warehouse import selectors

    def broken():
        raise DatabaseError('no such column: "royalty_line"."secret" in SELECT ... FROM royalty_line')

    monkeypatch.setattr(selectors, "revenue_platform_get", broken)
    response = viewer.get("/api/revenue/platform")
    assert (response.status_code, response.json()) == (500, {"success": False, "error": "internal server error"})
