"""A new user's first visit: `/` and the admin's "View site" land on the page (after Django's login),
/api/docs/ sends a browser to the login and back, unknown /api/ paths answer the JSON 404 even with DEBUG on."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/api/nope", "/api/kpis/nope/", "/api/loads/x/y"])
def test_unknown_api_paths_answer_the_json_404_envelope_even_with_debug_on(settings, debug, path, staff_user):
    settings.DEBUG = debug
    client = Client()
    client.force_login(staff_user)
    response = client.get(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert json.loads(response.content) == {"success": False, "error": "not found"}


def test_root_sends_an_anonymous_browser_to_the_login_and_then_shows_the_page(plain_user):
    client = Client()
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/login?next=/")
    login = client.get("/login?next=/")
    assert login.status_code == 200 and b'name="password"' in login.content
    back = client.post("/login", {"username": "viewer", "password": "pw-viewer-123", "next": "/"})
    assert (back.status_code, back["Location"]) == (302, "/")
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>BEDROT Warehouse · live dashboard</title>" in html
    assert 'data-staff="false"' in html and "data-staff-control" not in html  # read-only: no staff controls
    assert "<script>" not in html and "<style" not in html and " style=" not in html  # CSP: nothing inline


def test_the_admins_view_site_link_lands_on_the_page(staff_user):
    client = Client()
    client.force_login(staff_user)
    admin = client.get("/admin/").content.decode()
    assert '<a href="/">View site</a>' in admin
    page = client.get("/").content.decode()
    assert 'data-staff="true"' in page and 'id="refresh-button"' in page and 'href="/admin/"' in page


def test_api_docs_send_a_browser_to_the_login_and_back(plain_user):
    client = Client()
    browser = client.get("/api/docs/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert (browser.status_code, browser["Location"]) == (302, "/login?next=/api/docs/")
    back = client.post("/login", {"username": "viewer", "password": "pw-viewer-123", "next": "/api/docs/"})
    assert (back.status_code, back["Location"]) == (302, "/api/docs/")
    docs = client.get("/api/docs/", HTTP_ACCEPT="text/html")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_api_docs_still_answer_a_script_with_the_json_401():
    response = Client().get("/api/docs/", HTTP_ACCEPT="*/*")  # what curl sends
    assert response.status_code == 401
    assert json.loads(response.content) == {"success": False, "error": "Authentication credentials were not provided."}
