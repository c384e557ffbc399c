"""API tokens are stored as the sha256 of their key and shown once: by `api_token_create`, `ensure_staff_user` and
the admin's add page; revoked by deleting them in the admin; bad keys are throttled per client address."""

import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from warehouse.models import ApiToken

pytestmark = pytest.mark.django_db

RPS_RATES = "/api/revenue/rps-rates"


def api_get(key: str, path: str = RPS_RATES, address: str = "127.0.0.1"):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


def rps_rates_ok(key: str) -> bool:
    response = api_get(key)
    body = response.json()
    return response.status_code == 200 and body["success"] is True and body["data"]["spotify"] == 0.002274


def stored_text() -> str:
    """Every column of every api_token row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_token")
        return repr(cursor.fetchall())


def test_api_token_create_prints_the_key_once_and_stores_only_its_sha256(plain_user):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token_create", "viewer", "--name", "dashboard", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert err.getvalue() == f"API token {key[:8]}… for viewer: shown once, revoke it in the admin (API tokens)\n"
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix, token.key_sha256) == (
        plain_user,
        "dashboard",
        key[:8],
        hashlib.sha256(key.encode()).hexdigest(),
    )
    assert key not in stored_text()
    assert rps_rates_ok(key)
    assert api_get(token.key_sha256).json() == {"success": False, "error": "Invalid token."}  # the hash is no key


def test_ensure_staff_user_prints_a_working_token(db):
    out = io.StringIO()
    call_command("ensure_staff_user", stdout=out)
    key = re.search(r"API token '([0-9a-f]{40})'", out.getvalue())[1]
    assert key not in stored_text()
    assert rps_rates_ok(key)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_admin_shows_a_new_key_once_and_revokes_by_delete(staff_client, plain_user):
    response = staff_client.post("/admin/warehouse/apitoken/add/", {"user": plain_user.pk, "name": "scheduler"})
    assert response.status_code == 200
    page = response.content.decode()
    key = re.search(r'<code id="api-token-key">([0-9a-f]{40})</code>', page)[1]
    assert "shown only this once" in page
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.key_sha256) == (
        plain_user,
        "scheduler",
        hashlib.sha256(key.encode()).hexdigest(),
    )
    assert rps_rates_ok(key)

    listing = staff_client.get("/admin/warehouse/apitoken/").content.decode()
    assert f'<a href="/admin/warehouse/apitoken/{token.pk}/change/">{key[:8]}</a>' in listing and key not in listing
    detail = staff_client.get(f"/admin/warehouse/apitoken/{token.pk}/change/").content.decode()
    assert key not in detail and "scheduler" in detail
    assert staff_client.post(f"/admin/warehouse/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 302
    assert api_get(key).json() == {"success": False, "error": "Invalid token."}


def test_staff_without_superuser_can_only_issue_tokens_for_themselves(client, django_user_model, plain_user):
    clerk = django_user_model.objects.create_user(username="clerk", password="pw-clerk-123", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"]))
    client.force_login(clerk)
    refused = client.post("/admin/warehouse/apitoken/add/", {"user": plain_user.pk, "name": "takeover"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not ApiToken.objects.exists()
    own = client.post("/admin/warehouse/apitoken/add/", {"user": clerk.pk, "name": "mine"})
    assert ApiToken.objects.get().user == clerk
    assert rps_rates_ok(re.search(r'<code id="api-token-key">([0-9a-f]{40})</code>', own.content.decode())[1])


def test_bad_tokens_are_throttled_per_address(settings, plain_user):
    from django.core.cache import cache

    from tests.factories import api_token_for

    settings.API_THROTTLE_BAD_TOKEN = "3/min"
    cache.clear()
    good = api_token_for(plain_user)
    bad = "0" * 40
    for _ in range(3):
        response = api_get(bad, address="203.0.113.7")
        assert (response.status_code, response.json()) == (401, {"success": False, "error": "Invalid token."})
    throttled = api_get(bad, address="203.0.113.7")
    assert throttled.status_code == 429
    assert throttled.json()["error"].startswith("Request was throttled. Expected available in ")
    assert 55 <= int(throttled["Retry-After"]) <= 60
    # a valid key from that address still works (a neighbour cannot lock it out); other addresses still get 401
    assert rps_rates_ok(good)
    assert api_get(bad, address="198.51.100.1").status_code == 401
    cache.clear()
