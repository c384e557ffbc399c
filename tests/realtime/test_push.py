"""Pushes inside one process: the channel-layer path (in-memory, or Redis when REDIS_URL is set), the load_run
watcher, the one-update-per-second throttle, and one snapshot computation per event for all clients."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from realtime import hub as hub_module
from realtime.broadcasting import load_run_committed
from realtime.snapshot import TOPICS
from tests.factories import LoadRunFactory
from tests.realtime.conftest import expected_update, kpis_data, open_ws, receive, send, session_cookie_for

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("stop_hub"),
]


async def subscribed_client(cookie, frame=None):
    communicator, accepted, _ = await open_ws(cookie=cookie)
    assert accepted
    assert (await receive(communicator))["data"]["state"] == "connected"
    if frame is not None:
        await send(communicator, frame)
        assert (await receive(communicator))["data"]["state"] == "subscribed"
        assert (await receive(communicator))["type"] == "update"
    return communicator


async def hub_ready():
    hub = hub_module.get_hub()
    await asyncio.wait_for(asyncio.gather(hub.listener_ready.wait(), hub.watcher_ready.wait()), 5)


@database_sync_to_async
def commit_run(**fields):
    """A finished load run committed on another DB connection (as the loader's own process would)."""
    return LoadRunFactory(**{"rows_changed": 4, **fields})


async def test_layer_event_reaches_subscribed_clients_once(settings, plain_user):
    settings.WS_LOAD_RUN_POLL_INTERVAL = 0  # only the channel layer can deliver here
    cookie = await session_cookie_for(plain_user)
    everything = await subscribed_client(cookie, {"type": "subscribe"})
    money = await subscribed_client(cookie, {"type": "subscribe", "metrics": ["revenue"]})
    idle = await subscribed_client(cookie)
    await hub_ready()
    run = await commit_run()
    await database_sync_to_async(load_run_committed)(load_run_id=run.pk)
    await database_sync_to_async(load_run_committed)(load_run_id=run.pk)  # a repeat is not a second update
    kpis = await kpis_data()
    for communicator, topics in ((everything, TOPICS), (money, ["financial"])):
        update = await receive(communicator, timeout=5)
        assert update == expected_update(
            kpis, topics=topics, load_run_id=run.pk, generated_at=update["data"]["generated_at"]
        )
        assert await communicator.receive_nothing(timeout=1.5)
    assert await idle.receive_nothing(timeout=0.2)  # not subscribed: no update
    for communicator in (everything, money, idle):
        await communicator.disconnect()


async def test_watcher_notices_runs_committed_elsewhere(settings, plain_user):
    settings.WS_LOAD_RUN_POLL_INTERVAL = 0.2
    already = await commit_run()  # finished before the hub started: never announced
    client = await subscribed_client(await session_cookie_for(plain_user), {"type": "subscribe", "channel": "goals"})
    await hub_ready()
    assert await client.receive_nothing(timeout=1.2)
    await commit_run(rows_changed=0)  # committed nothing: no update
    running = await commit_run(status="running", finished_at=None, rows_changed=0)
    newer = await commit_run()
    update = await receive(client, timeout=3)
    assert update["data"]["load_run_id"] == newer.pk and set(update["data"]) == {
        "as_of",
        "freshness",
        "goals",
        "load_run_id",
        "generated_at",
    }
    assert await client.receive_nothing(timeout=1.2)
    # The older run that was still running commits later: announced under the newest id (ids never go back).
    running.rows_changed, running.status = 9, "succeeded"
    running.finished_at = already.finished_at
    await database_sync_to_async(running.save)()
    late = await receive(client, timeout=3)
    assert late["data"]["load_run_id"] == newer.pk and late["data"]["generated_at"] >= update["data"]["generated_at"]
    assert await client.receive_nothing(timeout=1.2)
    await client.disconnect()


async def test_updates_are_throttled_and_coalesced_newest_wins(settings, plain_user):
    settings.WS_LOAD_RUN_POLL_INTERVAL = 0
    settings.WS_UPDATE_MIN_INTERVAL = 3.0  # a wide window, so all three events surely land inside it
    client = await subscribed_client(await session_cookie_for(plain_user), {"type": "subscribe"})
    await hub_ready()
    runs = [await commit_run() for _ in range(3)]
    for run in runs:  # all inside the 1 s window that the subscribe update opened
        await database_sync_to_async(load_run_committed)(load_run_id=run.pk)
    update = await receive(client, timeout=5)
    assert update["data"]["load_run_id"] == runs[-1].pk  # one update, the newest snapshot
    assert await client.receive_nothing(timeout=1.5)
    await client.disconnect()


async def test_snapshot_computed_once_per_event_for_all_clients(settings, plain_user, monkeypatch):
    settings.WS_LOAD_RUN_POLL_INTERVAL = 0
    calls = []
    real = hub_module.snapshot_compute

    def counting(**kwargs):
        calls.append(kwargs["load_run_id"])
        return real(**kwargs)

    monkeypatch.setattr(hub_module, "snapshot_compute", counting)
    cookie = await session_cookie_for(plain_user)
    clients = [await subscribed_client(cookie, {"type": "subscribe"}) for _ in range(6)]
    assert calls == [None]  # the first subscribe computed it; the others reused it
    await hub_ready()
    run = await commit_run()
    await database_sync_to_async(load_run_committed)(load_run_id=run.pk)
    updates = [await receive(client, timeout=5) for client in clients]
    assert calls == [None, run.pk]
    assert all(u == updates[0] for u in updates) and updates[0]["data"]["load_run_id"] == run.pk
    for client in clients:
        await client.disconnect()


async def test_snapshot_is_recomputed_after_its_ttl(settings, plain_user, monkeypatch):
    settings.WS_SNAPSHOT_TTL = 0.2
    calls = []
    real = hub_module.snapshot_compute
    monkeypatch.setattr(hub_module, "snapshot_compute", lambda **kw: calls.append(1) or real(**kw))
    client = await subscribed_client(await session_cookie_for(plain_user), {"type": "subscribe"})
    await asyncio.sleep(1.1)
    await send(client, {"type": "refresh"})
    await receive(client)
    assert len(calls) == 2
    await client.disconnect()
