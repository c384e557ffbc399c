"""API fixtures: the sample lake loaded through the real loader, token clients, and no response cache by default
(the cache is exercised explicitly in test_cache.py)."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from rest_framework.test import APIClient

from tests.conftest import SAMPLE_LAKE
from tests.factories import api_token_for
from warehouse.models import LoadRun
from warehouse.selectors import ts


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    settings.API_CACHE_SECONDS = 0
    yield
    cache.clear()


@pytest.fixture(scope="module")
def _loaded_module(django_db_setup, django_db_blocker):
    """Load the sample lake once per test module inside an outer transaction that is rolled back at the end, so
    the module's tests share one real `load_curated` run (each test still rolls back its own changes)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_curated", "--lake", str(SAMPLE_LAKE))
            yield LoadRun.objects.get()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def loaded(_loaded_module, db) -> LoadRun:
    """The bundled sample lake, loaded by `load_curated` (exactly as production does)."""
    return _loaded_module


@pytest.fixture
def last_updated(loaded) -> str:
    return ts(loaded.finished_at)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    return client


@pytest.fixture
def viewer(plain_user) -> APIClient:
    return token_client(plain_user)


@pytest.fixture
def staff(staff_user) -> APIClient:
    return token_client(staff_user)
