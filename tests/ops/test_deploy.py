"""Production settings: `check --deploy` (Django's and the project's checks) and static files under daphne."""

import gzip
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import django
import pytest
from django.conf import settings

from bedrot_site import checks
from tests.ops.conftest import manage

pytestmark = pytest.mark.slow

NO_ISSUES = "System check identified no issues (0 silenced).\n"


def production_env(tmp_path: Path, **extra: str | None) -> dict:
    """The environment of a production server: bedrot_site.settings, DEBUG off, real secret, nothing inherited.
    A None in `extra` unsets that variable."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "API_", "REDIS_", "STATIC_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bedrot_site.settings",
        DJANGO_READ_DOT_ENV_FILE="false",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="warehouse.example.com",
        DATABASE_PATH=str(tmp_path / "prod.db"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def issue_ids(output: str) -> set[str]:
    return set(re.findall(r"^\?: \((\w+\.[EW]\d{3})\)", output, flags=re.MULTILINE))


@pytest.mark.parametrize(
    "database",
    [
        {},  # the SQLite file
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/bedrot", "REDIS_URL": "redis://127.0.0.1:6379/0"},
    ],
    ids=["sqlite", "postgresql+redis"],
)
def test_production_settings_pass_check_deploy(tmp_path, database):
    done = manage(production_env(tmp_path, **database), "check", "--deploy", "--fail-level", "WARNING")
    assert (done.returncode, done.stdout, done.stderr) == (0, NO_ISSUES, "")


@pytest.mark.parametrize(
    ("insecure", "expected"),
    [
        ({"API_PUBLIC_READ": "true"}, {"bedrot.W005"}),
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, {"security.W004"}),
        ({"DJANGO_SECURE_SSL_REDIRECT": "false"}, {"security.W008"}),
        (
            # DEBUG on brings the development secret key and none of the production hardening.
            {"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": None},
            {
                "bedrot.E001",
                "bedrot.E002",
                "security.W004",
                "security.W008",
                "security.W009",
                "security.W012",
                "security.W016",
                "security.W018",
            },
        ),
    ],
    ids=["api-public-read", "no-hsts", "no-ssl-redirect", "debug"],
)
def test_insecure_settings_fail_check_deploy(tmp_path, insecure, expected):
    done = manage(production_env(tmp_path, **insecure), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 1
    assert issue_ids(done.stderr) == expected, done.stderr
    assert done.stderr.startswith("SystemCheckError: System check identified some issues:")


def test_errors_fail_check_deploy_without_fail_level(tmp_path):
    """Django's DEBUG/SECRET_KEY checks are only warnings; the project's make plain `check --deploy` fail."""
    done = manage(production_env(tmp_path, DJANGO_DEBUG="true", DJANGO_SECRET_KEY="short"), "check", "--deploy")
    assert done.returncode == 1
    assert "?: (bedrot.E001) DEBUG is on in a deployment.\n" in done.stderr
    assert "?: (bedrot.E002) DJANGO_SECRET_KEY is not a real secret.\n" in done.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    done = manage(production_env(tmp_path, DJANGO_SECRET_KEY="s3cret-but-short"), "check", "--deploy")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not a real secret: use at least 50 "
        "random characters (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )


def test_project_checks_catch_open_api_basic_auth_and_missing_import_permissions(settings):
    assert checks.bedrot_deploy_checks(None) == []  # the test settings are production-like
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    }
    settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE = None
    issues = checks.bedrot_deploy_checks(None)
    assert [(i.id, i.msg) for i in issues] == [
        (
            "bedrot.E003",
            "REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES lets anonymous clients in "
            "(rest_framework.permissions.AllowAny).",
        ),
        ("bedrot.E004", "REST_FRAMEWORK authenticates with HTTP Basic (a password on every request)."),
        (
            "bedrot.E009",
            "IMPORT_EXPORT_IMPORT_PERMISSION_CODE is not set: any staff user could import or export master data.",
        ),
    ]


def test_sqlite_checks_want_immediate_wal_and_no_atomic_requests():
    production = {"ENGINE": "django.db.backends.sqlite3", "OPTIONS": settings.SQLITE_OPTIONS, "ATOMIC_REQUESTS": False}
    assert checks.sqlite_issues(production) == []
    deferred = {
        "ENGINE": "django.db.backends.sqlite3",
        "OPTIONS": {"init_command": "PRAGMA synchronous=NORMAL"},
        "ATOMIC_REQUESTS": True,
    }
    assert [i.id for i in checks.sqlite_issues(deferred)] == ["bedrot.E006", "bedrot.E007", "bedrot.E008"]
    assert checks.sqlite_issues({"ENGINE": "django.db.backends.postgresql", "ATOMIC_REQUESTS": True}) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def production_daphne(tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT, then a real daphne with production settings."""
    folder = tmp_path_factory.mktemp("daphne")
    env = production_env(folder)
    done = manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    assert done.returncode == 0, done.stderr
    port = free_port()
    daphne = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("daphne")),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "bedrot_site.asgi:application",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert daphne.poll() is None, daphne.stderr.read().decode()
                time.sleep(0.1)
        yield port, Path(env["STATIC_ROOT"])
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "warehouse.example.com", **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def test_whitenoise_serves_admin_static_files_under_daphne(production_daphne):
    port, static_root = production_daphne
    source = Path(django.__file__).parent / "contrib/admin/static/admin/css/base.css"
    behind_tls = {"X-Forwarded-Proto": "https"}  # what the reverse proxy adds (SECURE_PROXY_SSL_HEADER)

    plain = get(port, "/static/admin/css/base.css", **behind_tls)
    assert plain.status == 200
    assert plain.body == source.read_bytes()
    assert plain.getheader("Content-Type") == 'text/css; charset="utf-8"'

    hashed_name = json.loads((static_root / "staticfiles.json").read_text())["paths"]["admin/css/base.css"]
    hashed = get(port, f"/static/{hashed_name}", **behind_tls, **{"Accept-Encoding": "gzip"})
    assert hashed.status == 200
    assert hashed.getheader("Cache-Control") == "max-age=315360000, public, immutable"
    assert hashed.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(hashed.body) == (static_root / hashed_name).read_bytes()

    # Without the proxy's header the production settings redirect to https, static files included.
    insecure = get(port, "/static/admin/css/base.css")
    assert insecure.status == 301
    assert insecure.getheader("Location") == "https://warehouse.example.com/static/admin/css/base.css"


def test_throttling_identifies_clients_by_remote_addr_not_a_forged_forwarded_for():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory
    from rest_framework.throttling import AnonRateThrottle

    request = APIRequestFactory().get("/api/kpis", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="203.0.113.7")
    assert AnonRateThrottle().get_ident(Request(request)) == "203.0.113.7"
