"""What `manage.py copy_warehouse` compares on both databases: the `/api/kpis` body the real view computes."""

import json

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.test import override_settings
from rest_framework.test import APIRequestFactory, force_authenticate

from api.views import KpisView
from warehouse.copying import CopyVerificationFailed, connection_as_default


def kpis_body(*, alias: str = DEFAULT_DB_ALIAS) -> dict:
    """The `/api/kpis` body computed by the real view on `alias`, uncached, without `generated_at` (a clock)."""
    request = APIRequestFactory().get("/api/kpis")
    force_authenticate(request, user=get_user_model()(username="copy_warehouse", is_active=True))
    with connection_as_default(alias), override_settings(API_CACHE_SECONDS=0):
        response = KpisView.as_view()(request)
        response.render()
    if response.status_code != 200:
        raise CopyVerificationFailed(f"/api/kpis answered {response.status_code} on {alias}: {response.content[:300]}")
    body = json.loads(response.content)
    body["metadata"].pop("generated_at", None)
    return body
