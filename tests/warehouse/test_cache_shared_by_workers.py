"""Shared state across daphne workers: with REDIS_URL the response cache and the DRF throttle live in
Redis, so two real workers enforce one rate limit per client and compute each response once per load run in total;
a load or `response_cache_invalidate` in another process reaches both."""

import json
import re
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import api_token_for
from tests.servers import BASE_DIR, child_env, run_load_curated

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# (path, the cache name the view logs when it computes)
ENDPOINTS = [
    ("/api/kpis", "kpis"),
    ("/api/kpis/summary", "kpis/summary"),
    ("/api/revenue/platform", "revenue/platform"),
    ("/api/streaming/summary", "streaming/summary"),
    ("/api/streaming/daily?granularity=monthly", "streaming/daily"),
]
COMPUTED = re.compile(r"response computed: (\S+) \(")


@pytest.fixture
def start_workers(subprocess_env, redis_url, daphne_factory):
    """Two daphne workers sharing Redis under a private key prefix (other engineers' tests share this Redis)."""

    def start(*, user_rate: str = "10000/min"):
        env = child_env(
            subprocess_env,
            redis_url=redis_url,
            group=f"bedrot.test-{uuid.uuid4().hex[:12]}",
            API_CACHE_SECONDS=120,
            CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex[:12]}",
            TEST_API_THROTTLE="true",
            API_THROTTLE_USER=user_rate,
            API_THROTTLE_ANON="10000/min",
        )
        return env, [daphne_factory(env), daphne_factory(env)]

    return start


def computed(servers) -> Counter:
    return Counter(name for server in servers for name in COMPUTED.findall(server.log_path.read_text()))


def get_json(server, path: str, token: str) -> tuple[int, dict]:
    status, body = server.http_get(path, {"Authorization": f"Token {token}"})
    return status, json.loads(body)


def bodies_everywhere(servers, token: str, *, rounds: int, parallel: bool = False) -> dict[str, dict]:
    """Each endpoint `rounds` times on every worker; all answers of one endpoint must be identical."""
    calls = [(server, path) for path, _ in ENDPOINTS for _ in range(rounds) for server in servers]
    with ThreadPoolExecutor(max_workers=len(calls) if parallel else 1) as pool:
        answers = list(pool.map(lambda call: (call[1], get_json(call[0], call[1], token)), calls))
    result = {}
    for path, (status, body) in answers:
        assert status == 200, body
        assert result.setdefault(path, body) == body, path
    return result


def test_each_response_is_computed_once_per_load_run_across_workers(start_workers, plain_user, lake_copy):
    env, servers = start_workers()
    token = api_token_for(plain_user)
    held_back = lake_copy / "4_curated" / "tidy_daily_streams.csv"
    shutil.move(held_back, lake_copy / "tidy_daily_streams.csv")
    assert run_load_curated(env, lake_copy).returncode == 0

    first = bodies_everywhere(servers, token, rounds=3)
    assert computed(servers) == {name: 1 for _, name in ENDPOINTS}

    # The second load adds the daily streams: every response changes, computed once more in total even when both
    # workers miss at the same moment (the second waits for the first instead of computing it again).
    shutil.move(lake_copy / "tidy_daily_streams.csv", held_back)
    assert run_load_curated(env, lake_copy).returncode == 0
    second = bodies_everywhere(servers, token, rounds=3, parallel=True)
    assert computed(servers) == {name: 2 for _, name in ENDPOINTS}
    assert second["/api/streaming/summary"] != first["/api/streaming/summary"]
    assert second["/api/kpis"]["metadata"]["load_run_id"] == first["/api/kpis"]["metadata"]["load_run_id"] + 1

    # An invalidation from another process (what an admin mapping does) reaches both workers: one more computation.
    invalidate = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from warehouse.cache import response_cache_invalidate; response_cache_invalidate()",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert invalidate.returncode == 0, invalidate.stderr
    third = bodies_everywhere(servers, token, rounds=2)
    assert {path: body["data"] for path, body in third.items()} == {path: body["data"] for path, body in second.items()}
    assert computed(servers) == {name: 3 for _, name in ENDPOINTS}


def test_one_rate_limit_per_client_across_workers(start_workers, plain_user):
    _, servers = start_workers(user_rate="7/min")
    token = api_token_for(plain_user)
    answers = [get_json(servers[i % 2], "/api/revenue/rps-rates", token) for i in range(9)]
    assert [status for status, _ in answers] == [200] * 7 + [429] * 2
    _, body = answers[-1]
    assert body["success"] is False
    assert re.fullmatch(r"Request was throttled\. Expected available in \d+ seconds?\.", body["error"]), body
    # Another client keeps its own budget on both workers.
    other = api_token_for(type(plain_user).objects.create_user(username="other", password="pw-other-123"))
    assert [get_json(server, "/api/revenue/rps-rates", other)[0] for server in servers] == [200, 200]
