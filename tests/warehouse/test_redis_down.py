"""Redis down: with REDIS_URL set and nothing listening there (a real refused connection), a real daphne
still answers reads, computing them without the shared cache; rate limits hold per process; /api/health reports
Redis down (degraded, 200); the outage is logged once, never a 500 (bedrot_site/redis_cache.py)."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from tests.etl.helpers import run_loader
from tests.factories import api_token_for
from tests.servers import child_env, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PATHS = ("/api/kpis", "/api/revenue/platform", "/api/streaming/summary")


def test_reads_degrade_without_redis_and_health_says_so(subprocess_env, daphne_factory, plain_user, sample_lake):
    assert run_loader("--lake", str(sample_lake))[0] == 0
    token = api_token_for(plain_user)
    closed = free_port()  # bound and released: connecting is refused
    env = child_env(
        subprocess_env,
        redis_url=f"redis://127.0.0.1:{closed}/0",
        group=f"bedrot.test-{uuid.uuid4().hex[:12]}",
        API_CACHE_SECONDS=120,
        TEST_API_THROTTLE="true",
        API_THROTTLE_USER="8/min",
        API_THROTTLE_ANON="10000/min",
    )
    server = daphne_factory(env)
    auth = {"Authorization": f"Token {token}"}

    # The same bodies as this process computes with its own (local) cache, twice each: the second from the
    # worker's per-process fallback cache.
    local = APIClient()
    local.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for path in PATHS:
        expected = local.get(path).json()
        for _ in range(2):
            status, body = server.http_get(path, auth)
            answer = json.loads(body)
            assert (status, answer["success"], answer["data"]) == (200, True, expected["data"]), path
    # 6 requests so far: the per-process limit of 8/min still holds (it does not fail open)
    statuses = [server.http_get("/api/kpis", auth)[0] for _ in range(3)]
    assert statuses == [200, 200, 429]

    status, body = server.http_get("/api/health")
    health = json.loads(body)
    assert (status, health["data"]["status"]) == (200, "degraded")
    assert health["data"]["checks"]["redis"] == {"ok": False, "configured": True}
    assert health["data"]["checks"]["channel_layer"] == {"ok": False}
    assert health["data"]["checks"]["database"]["ok"] is True

    log = server.log()
    assert log.count("Redis unreachable") == 1, log
    assert " 500 " not in log and "Traceback" not in log, log
