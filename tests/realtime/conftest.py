"""Fixtures for the /ws tests: a private broadcast group per test, the hub stopped after each test, and
connection helpers that go through the real ASGI application (routing, auth stack, consumer)."""

import json
import uuid

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from realtime import hub as hub_module

GOOD_ORIGIN = "http://localhost:3000"


@pytest.fixture(autouse=True)
def private_broadcast_group(settings):
    """Other engineers' tests share this Redis: a unique group keeps their load events out of these tests."""
    settings.WS_BROADCAST_GROUP = f"bedrot.test-{uuid.uuid4().hex[:12]}"
    return settings.WS_BROADCAST_GROUP


@pytest_asyncio.fixture
async def stop_hub():
    """Async tests that open consumers use this, so no hub task or group membership outlives the test."""
    yield
    await hub_module.hub_stop()
    await database_sync_to_async(connections.close_all)()  # the ORM thread's connection, so teardown can drop the DB


def asgi_application():
    from bedrot_site.asgi import application

    return application


@database_sync_to_async
def session_cookie_for(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@database_sync_to_async
def token_for(user) -> str:
    from tests.factories import api_token_for

    return api_token_for(user)


async def open_ws(*, path="/ws", origin=GOOD_ORIGIN, cookie=None, subprotocols=None, address="127.0.0.1"):
    """Connect through bedrot_site.asgi.application; returns (communicator, accepted, selected subprotocol)."""
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(asgi_application(), path, headers=headers, subprotocols=subprotocols)
    communicator.scope["client"] = [address, 50000]  # the peer address daphne puts in the scope
    accepted, subprotocol = await communicator.connect(timeout=5)
    return communicator, accepted, subprotocol


async def receive(communicator, timeout=5) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def send(communicator, frame) -> None:
    await communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))


async def expect_close(communicator, timeout=5) -> int:
    message = await communicator.receive_output(timeout=timeout)
    assert message["type"] == "websocket.close", message
    return message.get("code")


TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


@database_sync_to_async
def kpis_data() -> dict:
    """`GET /api/kpis` `data` as JSON, computed in the test: what every `update` must carry."""
    from django.utils import timezone

    from api.bodies import KPIS
    from api.fields import shape
    from warehouse import selectors

    return shape(KPIS, selectors.kpis_get(today=timezone.localdate()))


def expected_update(kpis: dict, *, topics, load_run_id, generated_at) -> dict:
    data = {key: value for key, value in kpis.items() if key in ("as_of", "freshness") or key in set(topics)}
    return {"type": "update", "data": {**data, "load_run_id": load_run_id, "generated_at": generated_at}}
