"""Shared fixtures. The SQLite test database is a real file (see settings), so subprocesses see it too."""

import os
import shutil
import socket
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser import chromium, screenshots  # noqa: F401  (fixtures)

SAMPLE_LAKE = Path(settings.BASE_DIR) / "sample_lake"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _needs_serialized_rollback(item) -> bool:
    """Every transactional test must use serialized_rollback=True, on SQLite and PostgreSQL alike.

    A transactional test without it ends with a flush that re-creates content types and permissions under new
    ids; the next serialized_rollback test then reloads the migration data by the old ids and fails with a
    duplicate key. With all of them serialized each one starts from the migrated data (seed master data
    included) and the flush leaves an empty database for the next.
    """
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    transactional |= bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))
    return transactional and not (marker and marker.kwargs.get("serialized_rollback"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before any fixture: the offending test errors out without touching the database, the others still run.
    if _needs_serialized_rollback(item):
        pytest.fail(
            "use @pytest.mark.django_db(transaction=True, serialized_rollback=True): see tests/conftest.py",
            pytrace=False,
        )


@pytest.fixture
def sample_lake() -> Path:
    """The bundled real curated zone (read-only: copy it with `lake_copy` before changing files)."""
    return SAMPLE_LAKE


@pytest.fixture
def lake_copy(tmp_path) -> Path:
    """A writable copy of the sample lake: tests change, add or remove curated files in it."""
    target = tmp_path / "lake"
    shutil.copytree(SAMPLE_LAKE, target, ignore=shutil.ignore_patterns("*.md"))
    return target


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis. Never skipped: the test fails loudly when Redis is down (scripts/services.sh starts it)."""
    url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not _reachable("127.0.0.1", 6379):
        pytest.fail("Redis is not reachable on 127.0.0.1:6379: run scripts/services.sh")
    return url


@pytest.fixture
def daphne_factory(tmp_path):
    """Start real daphne workers (tests/servers.py); all stopped at the end of the test."""
    from tests.servers import Daphne

    servers = []

    def start(env: dict, *, args: tuple[str, ...] = ()) -> Daphne:
        server = Daphne(env, tmp_path / f"daphne-{len(servers)}.log", args=args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="staff", password="pw-staff-123", is_staff=True, is_superuser=True
    )


@pytest.fixture
def plain_user(django_user_model):
    return django_user_model.objects.create_user(username="viewer", password="pw-viewer-123")


@pytest.fixture
def subprocess_env(settings) -> dict:
    """Environment for a child process (manage.py, daphne) that must use this test's database."""
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bedrot_site.settings_test", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the test process by the chromium fixture, never for servers
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
        env["DATABASE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env
