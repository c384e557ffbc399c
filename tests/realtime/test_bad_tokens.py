"""Unknown API tokens on /ws are counted per client address with the HTTP path's limit and cache:
API_THROTTLE_BAD_TOKEN, the `throttle_bad_token_<address>` key of api/throttling.py, Redis when REDIS_URL is set.
Past the limit every /ws attempt with a token from that address is refused (error `rate_limited`, close 4429) until
the window passes, a valid token included. Real daphne workers; client addresses come through X-Forwarded-For from
the loopback proxy daphne trusts (TRUSTED_PROXIES), a fresh one per test since a Redis count outlives the test."""

import asyncio
import json
import os
import re
import time
import uuid

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.throttling import BadTokenThrottle
from tests.realtime.conftest import expect_close, open_ws, receive, token_for
from tests.servers import child_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ORIGIN = "http://localhost:3000"
BAD = "0" * 40
UNAUTHENTICATED = {
    "type": "error",
    "data": {
        "code": "unauthenticated",
        "message": 'Log in (session cookie) or send the subprotocols ["bearer", "<token>"].',
    },
}


def fresh_address() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def token(plain_user) -> str:
    from tests.factories import api_token_for

    return api_token_for(plain_user)


def attempt(daphne, key: str, address: str) -> tuple[list[dict], int, str]:
    """One /ws connection with `key` from `address`: the frames it got and the server's close (code, reason). A
    connection that is served ("connected") is closed by the client (1000)."""

    async def run():
        frames = []
        headers = {"X-Forwarded-For": address}
        async with connect(
            daphne.ws_url, origin=ORIGIN, subprotocols=["bearer", key], additional_headers=headers, close_timeout=5
        ) as conn:
            try:
                while True:
                    frames.append(json.loads(await asyncio.wait_for(conn.recv(), 10)))
                    if frames[-1]["type"] == "status":
                        await conn.close()
            except ConnectionClosed as closed:
                return frames, closed.rcvd.code, closed.rcvd.reason

    return asyncio.run(run())


def locked_out(frames, code, reason) -> int:
    """The seconds a lock-out names, after checking its whole shape (frame, code, reason agree)."""
    seconds = int(re.fullmatch(r"too many invalid tokens; retry in (\d+) s", reason)[1])
    message = f"Too many invalid API tokens from this address: try again in {seconds} s."
    assert (frames, code) == ([{"type": "error", "data": {"code": "rate_limited", "message": message}}], 4429)
    return seconds


def connected(frames, code, reason) -> bool:
    return [f["type"] for f in frames] == ["status"] and frames[0]["data"]["state"] == "connected" and code == 1000


def test_bad_tokens_lock_the_address_out_of_ws_and_share_the_http_count(
    daphne_factory, subprocess_env, private_broadcast_group, token
):
    env = child_env(
        subprocess_env,
        redis_url=os.environ.get("REDIS_URL"),
        group=private_broadcast_group,
        API_THROTTLE_BAD_TOKEN="3/min",
    )
    daphne = daphne_factory(env)
    guesser, neighbour, http_guesser = fresh_address(), fresh_address(), fresh_address()

    for _ in range(3):
        assert attempt(daphne, BAD, guesser) == ([UNAUTHENTICATED], 4401, "")
    assert 55 <= locked_out(*attempt(daphne, token, guesser)) <= 60  # a valid token waits out the window too
    assert 55 <= locked_out(*attempt(daphne, BAD, guesser)) <= 60
    assert connected(*attempt(daphne, token, neighbour))  # other addresses are served
    # the HTTP path reads the same count: a bad key answers 429 there; a valid key still works over HTTP
    status, body = daphne.http_get("/api/kpis", {"Authorization": f"Token {BAD}", "X-Forwarded-For": guesser})
    assert status == 429 and json.loads(body)["error"].startswith("Request was throttled. Expected available in ")
    assert daphne.http_get("/api/kpis", {"Authorization": f"Token {token}", "X-Forwarded-For": guesser})[0] == 200

    # and unknown keys sent over HTTP lock the address out of /ws
    for _ in range(3):
        status, _ = daphne.http_get("/api/kpis", {"Authorization": f"Token {BAD}", "X-Forwarded-For": http_guesser})
        assert status == 401
    assert 55 <= locked_out(*attempt(daphne, token, http_guesser)) <= 60


def test_with_redis_every_worker_refuses_an_address_locked_out_on_another(
    daphne_factory, subprocess_env, private_broadcast_group, redis_url, token
):
    env = child_env(subprocess_env, redis_url=redis_url, group=private_broadcast_group, API_THROTTLE_BAD_TOKEN="2/min")
    first, second = daphne_factory(env), daphne_factory(env)
    guesser = fresh_address()
    assert attempt(first, BAD, guesser) == ([UNAUTHENTICATED], 4401, "")
    assert attempt(second, BAD, guesser) == ([UNAUTHENTICATED], 4401, "")
    assert 55 <= locked_out(*attempt(first, token, guesser)) <= 60
    assert 55 <= locked_out(*attempt(second, token, guesser)) <= 60


@pytest.mark.asyncio
async def test_the_lock_out_ends_when_the_window_passes(settings, plain_user, monkeypatch, stop_hub):
    """In-process (the ASGI app with its auth stack), with the throttle's clock moved past the window."""
    settings.API_THROTTLE_BAD_TOKEN = "2/min"
    valid = await token_for(plain_user)
    address = fresh_address()

    async def ws_attempt(key):
        communicator, accepted, _ = await open_ws(subprotocols=["bearer", key], address=address)
        assert accepted
        return communicator

    for _ in range(2):
        communicator = await ws_attempt(BAD)
        assert await receive(communicator) == UNAUTHENTICATED
        assert await expect_close(communicator) == 4401
    communicator = await ws_attempt(valid)
    assert (await receive(communicator))["data"]["code"] == "rate_limited"
    assert await expect_close(communicator) == 4429
    monkeypatch.setattr(BadTokenThrottle, "timer", staticmethod(lambda: time.time() + 61))
    communicator = await ws_attempt(valid)
    assert (await receive(communicator))["data"]["state"] == "connected"
    await communicator.disconnect()
