"""API fixtures: the sample lake loaded through the real loader, token clients, and no response cache by default
(the cache is exercised explicitly in test_cache.py)."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from warehouse.models import LoadRun
from warehouse.selectors import ts


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    settings.API_CACHE_SECONDS = 0
    yield
    cache.clear()


@pytest.fixture
def loaded(db, sample_lake) -> LoadRun:
    """The bundled sample lake, loaded by `load_curated` (exactly as production does)."""
    call_command("load_curated", "--lake", str(sample_lake))
    return LoadRun.objects.get()


@pytest.fixture
def last_updated(loaded) -> str:
    return ts(loaded.finished_at)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def viewer(plain_user) -> APIClient:
    return token_client(plain_user)


@pytest.fixture
def staff(staff_user) -> APIClient:
    return token_client(staff_user)
