"""Limits of contract Part C (capacity, frame size, client rate, heartbeat) and the origin rule itself."""

import asyncio
import json
import re

import pytest

from realtime.auth import origin_allowed
from tests.realtime.conftest import TIMESTAMP, expect_close, open_ws, receive, send, session_cookie_for


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        ("http://localhost:3000", ["http://localhost:3000"], True),
        ("http://LOCALHOST:3000", ["http://localhost:3000"], True),
        ("http://localhost:3002", ["http://localhost:3000"], False),
        ("https://localhost:3000", ["http://localhost:3000"], False),
        ("https://dash.example.com", ["https://dash.example.com:443"], True),
        ("https://dash.example.com:8443", ["https://dash.example.com"], True),  # own host: any port
        ("https://a.example.com", ["https://.example.com"], True),
        ("https://example.com.evil.net", ["https://.example.com"], False),
        ("http://[::1]:8000", ["http://[::1]"], True),
        ("null", ["http://localhost:3000"], False),
        ("", ["http://localhost:3000"], False),
        (None, ["http://localhost:3000"], False),
        ("ftp://localhost:3000", ["ftp://localhost:3000"], False),
        ("http://evil.example", ["*"], False),
    ],
)
def test_origin_rule(origin, allowed, expected):
    assert origin_allowed(origin=origin, allowed=allowed) is expected


def test_default_allowed_origins_are_cors_plus_own_hosts():
    """settings_test sets DJANGO_ALLOWED_HOSTS=testserver,localhost,127.0.0.1 and no WS_ALLOWED_ORIGINS."""
    from django.conf import settings

    assert settings.WS_ALLOWED_ORIGINS == [
        "http://localhost:3000",
        "http://localhost:3001",
        "http://testserver",
        "https://testserver",
        "http://localhost",
        "https://localhost",
        "http://127.0.0.1",
        "https://127.0.0.1",
    ]


def test_wildcard_allowed_hosts_never_means_any_origin(subprocess_env):
    import subprocess
    import sys

    env = {**subprocess_env, "DJANGO_ALLOWED_HOSTS": "*,dash.example.com"}
    env.pop("WS_ALLOWED_ORIGINS", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.WS_ALLOWED_ORIGINS)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    expected = ["http://localhost:3000", "http://localhost:3001", "http://dash.example.com", "https://dash.example.com"]
    assert out.strip() == str(expected)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("stop_hub")
async def test_capacity_closes_1013_and_frees_on_disconnect(settings, plain_user):
    settings.WS_MAX_CONNECTIONS = 2
    cookie = await session_cookie_for(plain_user)
    first, _, _ = await open_ws(cookie=cookie)
    second, _, _ = await open_ws(cookie=cookie)
    for communicator in (first, second):
        assert (await receive(communicator))["data"]["state"] == "connected"
    third, accepted, _ = await open_ws(cookie=cookie)
    assert accepted
    assert await expect_close(third) == 1013
    await first.disconnect()
    fourth, _, _ = await open_ws(cookie=cookie)
    assert (await receive(fourth))["data"]["state"] == "connected"
    await second.disconnect()
    await fourth.disconnect()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("stop_hub")
async def test_frame_over_4_kib_closes_1009(plain_user):
    communicator, _, _ = await open_ws(cookie=await session_cookie_for(plain_user))
    await receive(communicator)
    padded = json.dumps({"type": "ping", "id": "x" * 4000})
    at_limit = padded[:-2] + "x" * (4096 - len(padded)) + padded[-2:]
    assert len(at_limit.encode()) == 4096
    await send(communicator, at_limit)
    assert (await receive(communicator))["type"] == "pong"  # exactly 4 KiB is allowed
    await send(communicator, json.dumps({"type": "ping", "id": "é" * 2100}))  # 4 KiB+ in UTF-8 bytes
    assert await expect_close(communicator) == 1009


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("stop_hub")
async def test_more_than_20_frames_in_10_s_are_dropped_with_one_error(settings, plain_user):
    settings.WS_RATE_LIMIT = (20, 1.0)  # same rule, a 1 s window so the test can see it reopen
    communicator, _, _ = await open_ws(cookie=await session_cookie_for(plain_user))
    await receive(communicator)
    for n in range(25):
        await send(communicator, {"type": "ping", "id": n})
    frames = [await receive(communicator) for _ in range(21)]
    assert [f["data"]["request_id"] for f in frames[:20]] == list(range(20))
    assert {f["type"] for f in frames[:20]} == {"pong"}
    assert frames[20]["type"] == "error" and frames[20]["data"]["code"] == "rate_limited"
    assert await communicator.receive_nothing(timeout=0.3)  # frames 21-24 dropped, one error only
    await asyncio.sleep(1.0)
    await send(communicator, {"type": "ping", "id": "after"})
    assert (await receive(communicator))["data"]["request_id"] == "after"
    await communicator.disconnect()


def test_rate_limit_defaults():
    from django.conf import settings

    assert (
        settings.WS_RATE_LIMIT,
        settings.WS_MAX_FRAME_BYTES,
        settings.WS_MAX_CONNECTIONS,
        settings.WS_HEARTBEAT_INTERVAL,
        settings.WS_UPDATE_MIN_INTERVAL,
    ) == ((20, 10.0), 4096, 1000, 30.0, 1.0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("stop_hub")
async def test_heartbeat_status(settings, plain_user):
    settings.WS_HEARTBEAT_INTERVAL = 0.3
    communicator, _, _ = await open_ws(cookie=await session_cookie_for(plain_user))
    await receive(communicator)
    await send(communicator, {"type": "subscribe", "channel": "alerts"})
    await receive(communicator)  # subscribed
    await receive(communicator)  # update
    beats = []
    while len(beats) < 2:
        frame = await receive(communicator, timeout=2)
        beats.append(frame)
    for frame in beats:
        assert re.match(TIMESTAMP, frame["data"].pop("server_time"))
        assert frame == {
            "type": "status",
            "data": {"state": "heartbeat", "subscriptions": ["alerts"], "load_run_id": None},
        }
    await communicator.disconnect()
