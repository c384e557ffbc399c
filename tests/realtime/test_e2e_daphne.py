"""End to end: a real daphne process, real websocket clients (the `websockets` package), the real loader
(`manage.py load_curated`) in its own process; with Redis (channels-redis) and without it (load_run watcher)."""

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime.snapshot import TOPICS
from tests.realtime.servers import Daphne, child_env, run_load_curated

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ORIGIN = "http://localhost:3000"
SUBSCRIPTIONS = [  # (how the client authenticates, what it subscribes to, the topics that follows)
    ("token", {"type": "subscribe"}, sorted(TOPICS)),
    ("cookie", {"action": "subscribe", "metrics": ["revenue"]}, ["financial"]),
    ("token", {"type": "subscribe", "metrics": ["streams", "goals"]}, ["goals", "streaming"]),
]


@pytest.fixture
def credentials(plain_user):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    client = Client()
    client.force_login(plain_user)
    return {"token": Token.objects.create(user=plain_user).key, "cookie": f"sessionid={client.cookies['sessionid'].value}"}


@pytest.fixture
def daphne_factory(tmp_path):
    servers = []

    def start(env):
        server = Daphne(env, tmp_path / f"daphne-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def ws_connect(server, credentials, how):
    if how == "token":
        return connect(server.ws_url, origin=ORIGIN, subprotocols=["bearer", credentials["token"]])
    return connect(server.ws_url, origin=ORIGIN, additional_headers={"Cookie": credentials["cookie"]})


async def recv(ws, timeout=5) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def nothing_within(ws, seconds) -> bool:
    try:
        frame = await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame: {frame[:300]}")


def latest_run():
    from warehouse.models import LoadRun

    return LoadRun.objects.order_by("-id").first()


def api_kpis(server, token) -> dict:
    status, body = server.http_get("/api/kpis", {"Authorization": f"Token {token}"})
    assert status == 200, body[:500]
    return json.loads(body)


@pytest.mark.parametrize("layer", ["redis", "watcher"])
def test_load_curated_in_another_process_reaches_every_client_once(
    layer, request, subprocess_env, lake_copy, credentials, daphne_factory, private_broadcast_group
):
    redis_url = request.getfixturevalue("redis_url") if layer == "redis" else None
    env = child_env(subprocess_env, redis_url=redis_url, group=private_broadcast_group)
    server = daphne_factory(env)
    empty_kpis = api_kpis(server, credentials["token"])["data"]

    async def scenario():
        clients = []
        for how, frame, topics in SUBSCRIPTIONS:
            ws = await ws_connect(server, credentials, how).__aenter__()
            assert ws.subprotocol == ("bearer" if how == "token" else None)
            hello = await recv(ws)
            hello["data"].pop("server_time")
            assert hello == {"type": "status", "data": {"state": "connected", "subscriptions": [], "load_run_id": None}}
            clients.append((ws, topics))
        for (ws, topics), (_, frame, _) in zip(clients, SUBSCRIPTIONS):
            await ws.send(json.dumps(frame))
            assert (await recv(ws))["data"]["subscriptions"] == topics
            first = await recv(ws)
            assert first["type"] == "update" and first["data"]["load_run_id"] is None
            assert {k: v for k, v in first["data"].items() if k not in ("load_run_id", "generated_at")} == {
                k: v for k, v in empty_kpis.items() if k in ("as_of", "freshness") or k in topics}
        await asyncio.sleep(1.1)  # past every client's 1 s throttle window, so the push is not held back

        loaded = await asyncio.to_thread(run_load_curated, env, lake_copy)
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        updates = []
        for ws, _ in clients:
            updates.append((await recv(ws, timeout=5), time.time()))
        for ws, _ in clients:  # exactly one: nothing else arrives once throttle and watcher had their chance
            assert await nothing_within(ws, 2.5)
        for ws, _ in clients:
            await ws.close()
        return updates

    updates = asyncio.run(scenario())
    run = latest_run()
    assert run.rows_changed > 0 and run.finished_at is not None
    api = api_kpis(server, credentials["token"])
    assert api["metadata"]["load_run_id"] == run.pk
    from django.utils import timezone
    from warehouse.selectors import kpis_get

    computed = json.loads(json.dumps(kpis_get(today=timezone.localdate())))
    assert api["data"] == computed  # the API and the selector agree, so either is the reference
    for (update, received_at), (_, _, topics) in zip(updates, SUBSCRIPTIONS):
        assert update["type"] == "update"
        expected = {k: v for k, v in computed.items() if k in ("as_of", "freshness") or k in topics}
        assert {k: v for k, v in update["data"].items() if k not in ("load_run_id", "generated_at")} == expected
        assert update["data"]["load_run_id"] == run.pk
        publish_lines = [line for line in server.log().splitlines() if "ws_publish" in line]
        assert received_at - run.finished_at.timestamp() < 2.0, (
            f"update {received_at - run.finished_at.timestamp():.2f} s after the run finished at "
            f"{run.finished_at:%H:%M:%S.%f}; daphne: {publish_lines}"
        )
    # The figures moved: the sample lake's revenue is in the update, not the empty warehouse's zeros.
    assert updates[1][0]["data"]["financial"] != empty_kpis["financial"]
    # The hub's layer listener sat idle for longer than redis-py's default 5 s read timeout without failing.
    assert "listener failed" not in server.log() and "Traceback" not in server.log()
