"""Contract Part C through WebsocketCommunicator on the real ASGI application: auth, origin, every verb."""

import asyncio
import re

import pytest
from channels.db import database_sync_to_async

from realtime.snapshot import TOPICS
from tests.factories import LoadRunFactory
from tests.realtime.conftest import (
    TIMESTAMP,
    expect_close,
    expected_update,
    kpis_data,
    open_ws,
    receive,
    send,
    session_cookie_for,
    token_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("stop_hub"),
]
ALL = sorted(TOPICS)


def status(state, subscriptions=(), load_run_id=None, **extra):
    return {"state": state, "subscriptions": sorted(subscriptions), "load_run_id": load_run_id, **extra}


async def received_status(communicator) -> dict:
    frame = await receive(communicator)
    assert frame["type"] == "status", frame
    assert re.match(TIMESTAMP, frame["data"].pop("server_time"))
    return frame["data"]


async def connected(user, load_run_id=None, **kwargs):
    communicator, accepted, _ = await open_ws(cookie=await session_cookie_for(user), **kwargs)
    assert accepted
    assert await received_status(communicator) == status("connected", load_run_id=load_run_id)
    return communicator


# --- auth ----------------------------------------------------------------------------------------------------
async def test_session_cookie_connects_and_says_connected(plain_user):
    run = await database_sync_to_async(LoadRunFactory)(rows_changed=3)
    communicator, accepted, subprotocol = await open_ws(cookie=await session_cookie_for(plain_user))
    assert (accepted, subprotocol) == (True, None)
    assert await received_status(communicator) == status("connected", load_run_id=run.pk)
    await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws", "/ws/"])
async def test_bearer_subprotocol_authenticates_and_is_selected(plain_user, path):
    token = await token_for(plain_user)
    communicator, accepted, subprotocol = await open_ws(path=path, subprotocols=["bearer", token])
    assert (accepted, subprotocol) == (True, "bearer")
    assert await received_status(communicator) == status("connected")
    await send(communicator, {"type": "ping", "id": 1})
    assert (await receive(communicator))["type"] == "pong"
    await communicator.disconnect()


@pytest.mark.parametrize("credentials", ["none", "bad_token", "bad_cookie"])
async def test_unauthenticated_gets_error_then_4401(credentials):
    kwargs = {
        "none": {},
        "bad_token": {"subprotocols": ["bearer", "not-a-real-token"]},
        "bad_cookie": {"cookie": "sessionid=forged"},
    }[credentials]
    communicator, accepted, subprotocol = await open_ws(**kwargs)
    assert accepted  # accepted first, so the browser sees 4401 rather than 1006
    assert subprotocol == ("bearer" if credentials == "bad_token" else None)
    frame = await receive(communicator)
    assert frame["type"] == "error" and frame["data"]["code"] == "unauthenticated"
    assert set(frame["data"]) == {"code", "message"} and "not-a-real-token" not in frame["data"]["message"]
    assert await expect_close(communicator) == 4401


async def test_bad_token_does_not_fall_back_to_the_session(plain_user):
    communicator, accepted, _ = await open_ws(cookie=await session_cookie_for(plain_user), subprotocols=["bearer", "x"])
    assert accepted
    assert (await receive(communicator))["data"]["code"] == "unauthenticated"
    assert await expect_close(communicator) == 4401


async def test_inactive_users_token_is_refused(plain_user):
    token = await token_for(plain_user)
    plain_user.is_active = False
    await database_sync_to_async(plain_user.save)()
    communicator, _, _ = await open_ws(subprotocols=["bearer", token])
    assert (await receive(communicator))["data"]["code"] == "unauthenticated"
    assert await expect_close(communicator) == 4401


async def test_public_read_lets_anonymous_read_but_not_force(settings):
    settings.API_PUBLIC_READ = True
    communicator, accepted, _ = await open_ws()
    assert accepted and await received_status(communicator) == status("connected")
    await send(communicator, {"type": "refresh", "force": True, "id": "r1"})
    frame = await receive(communicator)
    assert frame["type"] == "error"
    assert frame["data"]["code"] == "forbidden" and frame["data"]["request_id"] == "r1"
    await communicator.disconnect()


# --- origin --------------------------------------------------------------------------------------------------
async def close_message(communicator, timeout=5) -> dict:
    message = await communicator.receive_output(timeout=timeout)
    assert message["type"] == "websocket.close", message
    return message


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:3000.evil.example", "null"])
async def test_foreign_origin_closes_4403_with_a_reason_naming_it_before_auth(staff_user, origin):
    cookie = await session_cookie_for(staff_user)
    token = await token_for(staff_user)
    for credentials in ({"cookie": cookie}, {"subprotocols": ["bearer", token]}):
        communicator, accepted, _ = await open_ws(origin=origin, **credentials)
        assert accepted
        # no frame before the close: the origin is checked first
        assert await close_message(communicator) == {
            "type": "websocket.close",
            "code": 4403,
            "reason": f"origin {origin} not in WS_ALLOWED_ORIGINS",
        }
        assert await communicator.receive_nothing()


async def test_missing_origin_with_a_session_cookie_closes_4403_with_the_reason(staff_user):
    communicator, accepted, _ = await open_ws(origin=None, cookie=await session_cookie_for(staff_user))
    assert accepted
    assert await close_message(communicator) == {
        "type": "websocket.close",
        "code": 4403,
        "reason": "Origin header required for cookie authentication",
    }
    assert await communicator.receive_nothing()


async def test_missing_origin_with_the_bearer_token_is_served(plain_user):
    """Scripts, servers and the scheduler send no Origin (contract Part C): the token alone admits them."""
    communicator, accepted, subprotocol = await open_ws(
        origin=None, subprotocols=["bearer", await token_for(plain_user)]
    )
    assert (accepted, subprotocol) == (True, "bearer")
    assert await received_status(communicator) == status("connected")
    await send(communicator, {"type": "ping", "id": "script"})
    pong = await receive(communicator)
    assert re.match(TIMESTAMP, pong["data"].pop("server_time"))
    assert pong == {"type": "pong", "data": {"request_id": "script"}}
    await communicator.disconnect()


async def test_missing_origin_with_a_wrong_token_is_unauthenticated():
    communicator, accepted, _ = await open_ws(origin=None, subprotocols=["bearer", "not-a-token"])
    assert accepted
    frame = await receive(communicator)
    assert (frame["type"], frame["data"]["code"]) == ("error", "unauthenticated")
    assert await expect_close(communicator) == 4401


async def test_origin_check_comes_before_auth():
    communicator, _, _ = await open_ws(origin="http://evil.example")
    assert await expect_close(communicator) == 4403


async def test_cors_and_own_origins_are_allowed(plain_user):
    for origin in ("http://localhost:3000", "http://localhost:3001", "http://127.0.0.1:8000", "https://testserver"):
        communicator = await connected(plain_user, origin=origin)
        await communicator.disconnect()


# --- verbs ---------------------------------------------------------------------------------------------------
async def test_subscribe_all_then_update_is_the_kpis_object(plain_user):
    run = await database_sync_to_async(LoadRunFactory)(rows_changed=7)
    communicator = await connected(plain_user, load_run_id=run.pk)
    await send(communicator, {"type": "subscribe", "id": 42})
    assert await received_status(communicator) == status("subscribed", ALL, load_run_id=run.pk, request_id=42)
    update = await receive(communicator)
    assert re.match(TIMESTAMP, update["data"]["generated_at"])
    assert update == expected_update(
        await kpis_data(), topics=TOPICS, load_run_id=run.pk, generated_at=update["data"]["generated_at"]
    )
    await communicator.disconnect()


SUBSCRIBE_FORMS = [
    ({"action": "subscribe", "metrics": ["streams", "revenue"]}, ["financial", "streaming"]),
    ({"type": "subscribe", "channel": "kpis"}, ALL),
    ({"type": "subscribe", "metrics": ["kpis"]}, ALL),
    ({"type": "subscribe", "action": "subscribe", "channel": "goals"}, ["goals"]),
    ({"action": "subscribe", "metrics": ["alerts", "growth"], "channel": "social"}, ["alerts", "growth", "social"]),
]


async def test_subscribe_forms_and_aliases(plain_user, settings):
    settings.WS_UPDATE_MIN_INTERVAL = 0.05  # one connection walks through every form; the throttle has its own test
    communicator = await connected(plain_user)
    kpis = await kpis_data()
    for frame, topics in SUBSCRIBE_FORMS:
        await send(communicator, frame)
        assert await received_status(communicator) == status("subscribed", topics)
        update = await receive(communicator)
        assert update == expected_update(
            kpis, topics=topics, load_run_id=None, generated_at=update["data"]["generated_at"]
        )
        assert set(update["data"]) == {"as_of", "freshness", "load_run_id", "generated_at", *topics}
        await send(communicator, {"type": "unsubscribe"})
        assert await received_status(communicator) == status("unsubscribed", [])
    await communicator.disconnect()


async def test_unknown_topic_changes_nothing(plain_user):
    communicator = await connected(plain_user)
    await send(communicator, {"type": "subscribe", "metrics": ["financial"]})
    assert (await received_status(communicator))["subscriptions"] == ["financial"]
    await receive(communicator)  # the subscribe update
    await send(communicator, {"type": "subscribe", "metrics": ["streaming", "weather"], "id": "x"})
    frame = await receive(communicator)
    assert frame["type"] == "error"
    assert frame["data"]["code"] == "unknown_metric" and frame["data"]["request_id"] == "x"
    assert "'weather'" in frame["data"]["message"]
    await send(communicator, {"type": "unsubscribe", "channel": "goals"})
    assert await received_status(communicator) == status("unsubscribed", ["financial"])  # streaming not added
    await communicator.disconnect()


async def test_unsubscribe_forms(plain_user):
    communicator = await connected(plain_user)
    await send(communicator, {"type": "subscribe"})
    await received_status(communicator)
    await receive(communicator)
    await send(communicator, {"action": "unsubscribe", "metrics": ["revenue", "alerts"], "id": 7})
    remaining = [t for t in ALL if t not in ("financial", "alerts")]
    assert await received_status(communicator) == status("unsubscribed", remaining, request_id=7)
    await send(communicator, {"type": "unsubscribe"})
    assert await received_status(communicator) == status("unsubscribed", [])
    await communicator.disconnect()


async def test_ping_pong_in_both_forms(plain_user):
    communicator = await connected(plain_user)
    for frame, extra in [({"type": "ping"}, {}), ({"action": "ping", "id": {"n": 1}}, {"request_id": {"n": 1}})]:
        await send(communicator, frame)
        pong = await receive(communicator)
        assert re.match(TIMESTAMP, pong["data"].pop("server_time"))
        assert pong == {"type": "pong", "data": extra}
    await communicator.disconnect()


BAD_FRAMES = [
    ("{not json", "bad_json"),
    ('{"type": "dance", "id": 5}', "unknown_type"),
    ('{"id": 5}', "unknown_type"),
    ('{"type": "ping", "action": "subscribe", "id": 5}', "bad_request"),
    ("[1, 2]", "bad_request"),
    ('{"type": "subscribe", "metrics": "financial", "id": 5}', "bad_request"),
    ('{"type": "subscribe", "metrics": [], "id": 5}', "bad_request"),
    ('{"type": "refresh", "force": "yes", "id": 5}', "bad_request"),
]


async def test_errors_keep_the_connection_open(plain_user):
    communicator = await connected(plain_user)
    for raw, code in BAD_FRAMES:
        await send(communicator, raw)
        frame = await receive(communicator)
        assert frame["type"] == "error" and frame["data"]["code"] == code, raw
        assert ("request_id" in frame["data"]) == ('"id": 5' in raw)
        assert frame["data"].get("request_id") == (5 if '"id": 5' in raw else None)
        await send(communicator, {"type": "ping"})
        assert (await receive(communicator))["type"] == "pong"
    await communicator.disconnect()


async def test_binary_frame_is_bad_json(plain_user):
    communicator = await connected(plain_user)
    await communicator.send_to(bytes_data=b'{"type": "ping"}')
    assert (await receive(communicator))["data"]["code"] == "bad_json"
    await communicator.disconnect()


async def test_refresh_without_force_resends_the_snapshot(plain_user):
    communicator = await connected(plain_user)
    await send(communicator, {"type": "subscribe", "channel": "goals"})
    await received_status(communicator)
    first = await receive(communicator)
    await send(communicator, {"type": "refresh", "id": 9})
    second = await receive(communicator)  # throttled: arrives once the 1 s window after `first` has passed
    assert second == first  # same snapshot, nothing committed in between
    await communicator.disconnect()


async def test_forced_refresh_needs_staff(plain_user):
    communicator = await connected(plain_user)
    await send(communicator, {"type": "refresh", "force": True, "id": 3})
    frame = await receive(communicator)
    assert frame == {
        "type": "error",
        "data": {"code": "forbidden", "message": frame["data"]["message"], "request_id": 3},
    }
    await communicator.disconnect()


@pytest.fixture
def loader_env(monkeypatch, subprocess_env, tmp_path):
    """The loader that a forced refresh spawns inherits this process's environment: point it at the test
    database and at an empty curated zone, so it finishes at once without touching anything else."""
    for name, value in subprocess_env.items():
        monkeypatch.setenv(name, value)
    if "DATABASE_URL" not in subprocess_env:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "lake" / "4_curated").mkdir(parents=True)
    monkeypatch.setenv("DATA_LAKE_PATH", str(tmp_path / "lake"))


async def wait_until_finished(run_id: int):
    from warehouse.models import LoadRun

    for _ in range(300):
        run = await database_sync_to_async(LoadRun.objects.get)(pk=run_id)
        if run.finished_at is not None:
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"load run {run_id} did not finish: {run.status}")


async def test_forced_refresh_from_staff_queues_a_load_run(staff_user, loader_env):
    from warehouse.models import LoadRun

    communicator = await connected(staff_user)
    await send(communicator, {"action": "refresh", "force": True, "id": "go"})
    frame = await received_status(communicator)
    run = await database_sync_to_async(LoadRun.objects.get)()
    assert frame == status("refresh_queued", load_run_id=run.pk, request_id="go")
    assert (run.trigger, run.requested_by_id, run.options["force"], run.options["kinds"]) == (
        "websocket",
        staff_user.pk,
        True,
        None,
    )
    finished = await wait_until_finished(run.pk)  # the real loader process ran it
    assert finished.status in ("succeeded", "succeeded_with_rejects", "failed")
    await communicator.disconnect()


async def test_forced_refresh_while_a_run_is_active_is_refused(staff_user):
    import os
    import socket

    active = await database_sync_to_async(LoadRunFactory)(
        status="running", finished_at=None, options={"pid": os.getpid(), "host": socket.gethostname()}
    )
    communicator = await connected(staff_user)
    await send(communicator, {"type": "refresh", "force": True, "id": "again"})
    assert await receive(communicator) == {
        "type": "error",
        "data": {"code": "bad_request", "message": f"load run {active.pk} already running", "request_id": "again"},
    }
    await communicator.disconnect()
