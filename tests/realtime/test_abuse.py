"""Hostile clients against a real daphne: no frame, and no failure inside a consumer, may keep a
connection slot; honest clients still connect and get the next update afterwards."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.db_locks import write_lock_held
from tests.servers import Daphne, child_env, run_load_curated

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ORIGIN = "http://localhost:3000"
MAX_CONNECTIONS = 4
NO_ECHO = object()
# (frame, the error code it earns, the request_id echoed): an id that is not a valid JSON value is never echoed
ANSWERED = [
    ("[" * 1000 + "]" * 1000, "bad_json", NO_ECHO),  # 2,000 bytes nested 1,000 deep: RecursionError in json.loads
    ('{"a":' * 500 + "0" + "}" * 500, "bad_json", NO_ECHO),
    ('{"type":"ping","id":' + "[" * 600 + "]" * 600 + "}", "bad_json", NO_ECHO),
    ('{"type":"ping","id":NaN}', "bad_json", NO_ECHO),
    ('{"type":"ping","id":-Infinity}', "bad_json", NO_ECHO),
    ('{"type":"ping","id":1e999}', "bad_json", NO_ECHO),  # a float that overflows to Infinity
    ("{", "bad_json", NO_ECHO),
    (b"\xff\xfe\x00", "bad_json", NO_ECHO),  # a binary frame
    ("[1, 2]", "bad_request", NO_ECHO),
    ('{"type":"drop","id":"\\ud800"}', "unknown_type", "\ud800"),
    ('{"type":"refresh","force":true,"id":1}', "forbidden", 1),  # a forced refresh from a non-staff user
    ('{"type":"subscribe","metrics":[{"a":[[[]]]}],"id":[{}]}', "bad_request", [{}]),
    ('{"type":"subscribe","channel":"' + "x" * 3000 + '"}', "unknown_metric", NO_ECHO),
]
CLOSING = ['{"type":"ping","id":"' + "x" * 5000 + '"}', "[" * (1024 * 1024 + 1)]  # over 4 KiB, over 1 MiB


@pytest.fixture
def credentials(plain_user, staff_user):
    from tests.factories import api_token_for

    return {"token": api_token_for(plain_user), "staff_token": api_token_for(staff_user)}


@pytest.fixture
def server(subprocess_env, tmp_path, private_broadcast_group):
    started = []

    def start(**extra):
        env = child_env(subprocess_env, redis_url=None, group=private_broadcast_group, **extra)
        started.append(Daphne(env, tmp_path / f"daphne-{len(started)}.log"))
        return started[-1], env

    yield start
    for daphne in started:
        daphne.stop()


def ws(daphne, token):
    return connect(daphne.ws_url, origin=ORIGIN, subprotocols=["bearer", token], max_size=None, close_timeout=2)


async def recv(conn, timeout=10) -> dict:
    return json.loads(await asyncio.wait_for(conn.recv(), timeout))


async def close_code(conn) -> int:
    try:
        while True:
            await asyncio.wait_for(conn.recv(), 10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006


def test_hostile_frames_release_every_slot_and_honest_clients_get_the_next_update(server, credentials, lake_copy):
    daphne, env = server(WS_MAX_CONNECTIONS=MAX_CONNECTIONS, WS_RATE_LIMIT_FRAMES=100_000)

    # 2,000 frames: every 100th is over a limit (closing its connection), the rest cycle through ANSWERED.
    schedule = [CLOSING[n // 100 % 2] if n % 100 == 0 else ANSWERED[(n - 1) % len(ANSWERED)] for n in range(1, 2001)]

    async def hostile():
        replies, closes, pending = [], [], list(schedule)
        while pending:
            async with ws(daphne, credentials["token"]) as conn:
                assert (await recv(conn))["data"]["state"] == "connected"
                while pending:
                    item = pending.pop(0)
                    if isinstance(item, str):
                        await conn.send(item)
                        closes.append(await close_code(conn))
                        break
                    frame, code, echo = item
                    await conn.send(frame)
                    reply = await recv(conn)
                    expected = {"code": code} | ({} if echo is NO_ECHO else {"request_id": echo})
                    assert reply["type"] == "error" and reply["data"] | expected == reply["data"], (frame[:80], reply)
                    assert set(reply["data"]) == {"message", *expected}, (frame[:80], reply)
                    replies.append(code)
        return replies, closes

    async def honest():
        clients = []
        for n in range(MAX_CONNECTIONS):
            conn = await ws(daphne, credentials["token"]).__aenter__()
            assert (await recv(conn))["data"]["state"] == "connected", f"client {n}"
            await conn.send(json.dumps({"type": "subscribe", "channel": "financial"}))
            assert (await recv(conn))["data"]["state"] == "subscribed"
            assert (await recv(conn))["data"]["load_run_id"] is None
            clients.append(conn)
        async with ws(daphne, credentials["token"]) as extra:  # the slots are really all taken now
            assert await close_code(extra) == 1013
        await asyncio.sleep(1.1)  # past each client's update throttle
        loaded = await asyncio.to_thread(run_load_curated, env, lake_copy)
        assert loaded.returncode == 0, loaded.stderr[-2000:]
        updates = [await recv(conn, timeout=30) for conn in clients]
        for conn in clients:
            await conn.close()
        return updates

    replies, closes = asyncio.run(hostile())
    assert replies == [item[1] for item in schedule if not isinstance(item, str)]
    assert closes == [1009] * 20
    updates = asyncio.run(honest())
    from warehouse.models import LoadRun

    run = LoadRun.objects.get()
    assert [(u["type"], u["data"]["load_run_id"], sorted(u["data"])) for u in updates] == [
        ("update", run.pk, ["as_of", "financial", "freshness", "generated_at", "load_run_id"])
    ] * MAX_CONNECTIONS
    assert "Traceback" not in daphne.log() and "RecursionError" not in daphne.log()


def test_forced_refresh_while_the_database_is_locked_keeps_the_slot(server, credentials):
    """A forced refresh that cannot get the write lock (another writer holds it past the busy timeout: SQLite's
    busy timeout, PostgreSQL's lock_timeout) answers `error` `busy`; the connection stays usable and its slot is
    released when it closes."""
    daphne, _ = server(WS_MAX_CONNECTIONS=1, SQLITE_BUSY_TIMEOUT_SECONDS=1, DATABASE_LOCK_TIMEOUT_SECONDS=1)

    async def scenario():
        async with ws(daphne, credentials["staff_token"]) as conn:
            assert (await recv(conn))["data"]["state"] == "connected"
            with write_lock_held():
                await conn.send(json.dumps({"type": "refresh", "force": True, "id": "r1"}))
                reply = await recv(conn)
            assert reply == {
                "type": "error",
                "data": {
                    "code": "busy",
                    "request_id": "r1",
                    "message": "The database is busy with another write (a load); try again in 5 s.",
                },
            }
            await conn.send(json.dumps({"type": "ping", "id": 2}))
            assert (await recv(conn))["type"] == "pong"
        for _ in range(3):  # the one slot is free again, every time
            async with ws(daphne, credentials["staff_token"]) as conn:
                assert (await recv(conn))["data"]["state"] == "connected"

    asyncio.run(scenario())
    from warehouse.models import LoadRun

    assert LoadRun.objects.count() == 0
    assert "Traceback" not in daphne.log()
