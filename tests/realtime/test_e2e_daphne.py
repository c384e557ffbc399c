"""End to end: a real daphne process, real websocket clients (the `websockets` package), the real loader
(`manage.py load_curated`) in its own process; with Redis (channels-redis) and without it (load_run watcher)."""

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime.snapshot import TOPICS
from tests.servers import Daphne, child_env, run_load_curated

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

    from tests.factories import api_token_for

    client = Client()
    client.force_login(plain_user)
    return {"token": api_token_for(plain_user), "cookie": f"sessionid={client.cookies['sessionid'].value}"}


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


def load_runs():
    from warehouse.models import LoadRun

    return list(LoadRun.objects.order_by("id"))


def api_kpis(server, token) -> dict:
    status, body = server.http_get("/api/kpis", {"Authorization": f"Token {token}"})
    assert status == 200, body[:500]
    return json.loads(body)


@pytest.mark.parametrize("layer", ["redis", "watcher"])
def test_load_curated_in_another_process_reaches_every_client_once(
    layer, request, subprocess_env, lake_copy, credentials, daphne_factory, private_broadcast_group
):
    redis_url = request.getfixturevalue("redis_url") if layer == "redis" else None
    # No heartbeat while the loader runs: on a busy machine a load outlasts the 30 s interval and a status frame
    # would arrive where this test expects the update.
    env = child_env(subprocess_env, redis_url=redis_url, group=private_broadcast_group, WS_HEARTBEAT_INTERVAL=600)
    server = daphne_factory(env)
    empty_kpis = api_kpis(server, credentials["token"])["data"]

    async def scenario():
        clients = []
        for how, _frame, topics in SUBSCRIPTIONS:
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
                k: v for k, v in empty_kpis.items() if k in ("as_of", "freshness") or k in topics
            }
        await asyncio.sleep(1.1)  # past every client's 1 s throttle window, so the push is not held back

        async def arrival(ws):  # listening while the loader runs, so the arrival time is the frame's own
            frame = await recv(ws, timeout=180)
            return frame, time.time()

        waiting = [asyncio.create_task(arrival(ws)) for ws, _ in clients]
        loaded = await asyncio.to_thread(run_load_curated, env, lake_copy)
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        updates = [await asyncio.wait_for(task, 5) for task in waiting]
        for ws, _ in clients:  # exactly one: nothing else arrives once throttle and watcher had their chance
            assert await nothing_within(ws, 2.5)
        references = await asyncio.to_thread(reference_figures)  # before the rerun moves `last_updated`
        # The same lake again: every file is skipped, nothing committed, so no client hears anything.
        again = await asyncio.to_thread(run_load_curated, env, lake_copy)
        assert again.returncode == 0 and ", 0 inserted, 0 updated," in again.stdout, again.stdout[-500:]
        for ws, _ in clients:
            assert await nothing_within(ws, 1.5)
        for ws, _ in clients:
            await ws.close()
        return updates, references

    def reference_figures():
        from django.db import connections
        from django.utils import timezone

        from api.bodies import KPIS
        from api.fields import shape
        from warehouse.selectors import kpis_get

        try:
            return api_kpis(server, credentials["token"]), shape(KPIS, kpis_get(today=timezone.localdate()))
        finally:
            connections.close_all()  # this thread's connection, so teardown can drop the test database

    updates, (api, computed) = asyncio.run(scenario())
    run, rerun = load_runs()
    assert run.rows_changed > 0 and run.finished_at is not None and rerun.rows_changed == 0
    assert api["metadata"]["load_run_id"] == run.pk
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


def test_close_codes_and_http_through_real_daphne(
    subprocess_env, credentials, daphne_factory, tmp_path, private_broadcast_group
):
    """The close codes autobahn would refuse without realtime/daphne_compat.py, on the wire; HTTP and WhiteNoise
    static files still served by the same daphne."""
    static_root = tmp_path / "static"
    static_root.mkdir()
    (static_root / "realtime-check.txt").write_text("served by whitenoise under daphne\n")
    env = child_env(
        subprocess_env, redis_url=None, group=private_broadcast_group, WS_MAX_CONNECTIONS=1, STATIC_ROOT=static_root
    )
    server = daphne_factory(env)
    assert server.http_get("/static/realtime-check.txt") == (200, b"served by whitenoise under daphne\n")
    status, body = server.http_get("/health")
    assert (status, json.loads(body)) == (200, {"status": "healthy", "service": "dashboard-backend"})

    async def close_code(ws) -> int:
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as closed:
            return closed.rcvd.code

    async def scenario():
        async with connect(server.ws_url, origin="http://evil.example") as ws:
            assert await close_code(ws) == 4403
        async with connect(server.ws_url, origin=ORIGIN) as ws:
            frame = await recv(ws)
            assert (frame["type"], frame["data"]["code"]) == ("error", "unauthenticated")
            assert await close_code(ws) == 4401
        async with ws_connect(server, credentials, "token") as first:
            assert (await recv(first))["data"]["state"] == "connected"
            async with ws_connect(server, credentials, "cookie") as second:
                assert await close_code(second) == 1013  # WS_MAX_CONNECTIONS=1
            await first.send(json.dumps({"type": "ping", "id": "x" * 5000}))
            assert await close_code(first) == 1009

    asyncio.run(scenario())
    assert "Traceback" not in server.log()


def test_origin_rule_and_close_reasons_on_the_wire(
    subprocess_env, credentials, daphne_factory, private_broadcast_group
):
    """Contract Part C (changed): a script's token client without Origin is served; refusals carry a reason that
    reaches the client through daphne (realtime/daphne_compat.py passes the ASGI reason on)."""
    server = daphne_factory(child_env(subprocess_env, redis_url=None, group=private_broadcast_group))

    async def closed_with(ws) -> tuple[int, str]:
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as closed:
            return closed.rcvd.code, closed.rcvd.reason

    async def scenario():
        async with connect(server.ws_url, subprotocols=["bearer", credentials["token"]]) as script:  # no Origin
            hello = await recv(script)
            assert (hello["type"], hello["data"]["state"]) == ("status", "connected")
            await script.send(json.dumps({"type": "subscribe", "metrics": ["revenue"]}))
            assert (await recv(script))["data"]["subscriptions"] == ["financial"]
            assert (await recv(script))["type"] == "update"
        async with connect(server.ws_url, additional_headers={"Cookie": credentials["cookie"]}) as cookie_client:
            assert await closed_with(cookie_client) == (4403, "Origin header required for cookie authentication")
        async with connect(
            server.ws_url, origin="http://evil.example", subprotocols=["bearer", credentials["token"]]
        ) as foreign:
            assert await closed_with(foreign) == (4403, "origin http://evil.example not in WS_ALLOWED_ORIGINS")

    asyncio.run(scenario())
    assert "Traceback" not in server.log()
