"""Content-Security-Policy on every response, checked in real headless Chromium against a real daphne (admin log-in,
admin pages, Swagger UI: no violation, no console error), and the admin log-in limit per user name and address."""

import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from bedrot_site.middleware import CONTENT_SECURITY_POLICY
from tests.browser import DESKTOP
from tests.servers import BASE_DIR, Daphne

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PASSWORD = "pw-staff-123"
LOCKED = "Too many failed log-ins for this user name or from this address. Try again in 15 minutes."


def test_the_policy_is_self_only():
    assert CONTENT_SECURITY_POLICY == CSP


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/api/kpis", "/admin/login/", "/api/docs/", "/nope"])
def test_every_response_carries_the_policy(client, path):
    assert client.get(path)["Content-Security-Policy"] == CSP


# Playwright's init scripts run outside the page's CSP: they record every violation the browser reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def static_daphne(subprocess_env, tmp_path):
    """A real daphne serving collected static files through WhiteNoise, as in production."""
    env = {**subprocess_env, "STATIC_ROOT": str(tmp_path / "static")}
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    server = Daphne(env, tmp_path / "daphne.log")
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_login_and_swagger_ui_run_under_the_policy(staff_user, static_daphne, chromium, tmp_path):
    base = f"http://localhost:{static_daphne.port}"  # localhost: Chromium keeps the Secure session cookie
    context = chromium.new_context(viewport=DESKTOP)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console = []
    # every console error except the browser's own /favicon.ico probe (the admin declares no icon: not a CSP matter)
    page.on(
        "console",
        lambda m: (
            console.append(f"{page.url}: {m.text} {m.location['url']}")
            if m.type == "error" and not m.location["url"].endswith("/favicon.ico")
            else None
        ),
    )
    failed = []  # every resource the pages load must load
    page.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    violations = []

    def visit(path: str, ready: str) -> None:
        response = page.goto(base + path)
        assert response.status == 200 and response.headers["content-security-policy"] == CSP, path
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.__violations"))

    visit("/admin/login/", "#login-form")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    violations.extend(f"/admin/: {v}" for v in page.evaluate("window.__violations"))
    visit("/admin/warehouse/artist/", "#changelist")
    visit("/admin/warehouse/track/add/", "#track_form")
    visit("/admin/warehouse/apitoken/add/", "#apitoken_form")
    page.select_option("#id_user", label="staff")
    page.fill("#id_name", "browser")
    page.click("input[name=_save]")
    assert re.fullmatch(r"[0-9a-f]{40}", page.inner_text("#api-token-key"))
    violations.extend(f"token created: {v}" for v in page.evaluate("window.__violations"))

    visit("/api/docs/", ".swagger-ui .opblock")
    assert page.inner_text(".swagger-ui .info .title").startswith("BEDROT Warehouse API")
    page.screenshot(path=str(tmp_path / "swagger.png"))
    context.close()
    assert (violations, console, failed) == ([], [], [])


@pytest.fixture
def throttle_settings(settings):
    settings.ADMIN_LOGIN_MAX_FAILURES_PER_USER = 3
    settings.ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS = 5
    cache.clear()
    yield
    cache.clear()


def login(client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def locked_page(response) -> bool:
    page = response.content.decode()
    return response.status_code == 429 and f'<p class="errornote" id="login-locked">{LOCKED}</p>' in page


@pytest.mark.django_db
def test_admin_login_is_limited_per_user_name(client, staff_user, throttle_settings):
    for _ in range(3):
        response = login(client, "staff", "wrong")
        assert (
            response.status_code == 200
            and "Please enter the correct username and password" in response.content.decode()
        )
    assert locked_page(login(client, "staff", "wrong"))
    assert locked_page(login(client, "staff", PASSWORD))  # the right password too, while locked
    assert locked_page(login(client, "STAFF", PASSWORD, address="198.51.100.2"))  # from anywhere, any case
    assert not client.session.get("_auth_user_id")
    # another user name from the first address still gets its own tries
    assert login(client, "someone", "wrong").status_code == 200


@pytest.mark.django_db
def test_admin_login_is_limited_per_address(client, staff_user, throttle_settings):
    for index in range(5):
        assert login(client, f"guess-{index}", "wrong").status_code == 200
    assert locked_page(login(client, "staff", PASSWORD))
    good = login(client, "staff", PASSWORD, address="198.51.100.2")
    assert (good.status_code, good["Location"]) == (302, "/admin/")


@pytest.mark.django_db
def test_a_successful_login_clears_the_user_name_count(client, staff_user, throttle_settings):
    for _ in range(2):
        login(client, "staff", "wrong")
    assert login(client, "staff", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        assert login(client, "staff", "wrong", address="198.51.100.3").status_code == 200
    assert login(client, "staff", PASSWORD, address="198.51.100.3").status_code == 302
    assert django_settings.ADMIN_LOGIN_LOCKOUT_SECONDS == 900
