"""restore_db onto a running daphne: connected /ws clients get an `update` flagged `restored` (they refetch), and
the loads after the restore reach them, because load-run ids are never reused. With Redis (the PostgreSQL pass of
the suite sets REDIS_URL) the restore's event crosses the channel layer; without it daphne's watcher sees it."""

import asyncio
import json
import os
import uuid

import pytest
from websockets.asyncio.client import connect

from tests.ops.conftest import manage
from tests.ops.test_backup_restore import take_backup
from tests.servers import Daphne, child_env

pytestmark = pytest.mark.slow
ORIGIN = "http://localhost:3000"

TOKEN = """
from django.contrib.auth.models import User
from warehouse.tokens import api_token_create
print(api_token_create(user=User.objects.create_user("dashboard"), name="dashboard")[1])
"""
# What load_curated does when a run commits changed rows: the run row, then the announcement (realtime/broadcasting).
COMMIT_RUN = """
from django.utils import timezone
from realtime.broadcasting import load_run_committed
from warehouse.models import LoadRun
now = timezone.now()
run = LoadRun.objects.create(status="succeeded", started_at=now, finished_at=now, rows_changed=1)
load_run_committed(load_run_id=run.pk)
print(run.pk)
"""


def shell(env: dict, code: str) -> str:
    done = manage(env, "shell", "--no-imports", "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def recv(ws, timeout=10) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_live_clients_hear_the_restore_and_every_later_load(ops_env, tmp_path):
    env = child_env(ops_env, redis_url=os.environ.get("REDIS_URL"), group=f"bedrot.test-{uuid.uuid4().hex[:12]}")
    token = shell(env, TOKEN)
    backup = take_backup(env)  # holds load run 1 (the sample lake)
    server = Daphne(env, tmp_path / "daphne.log")

    def api_kpis() -> dict:
        status, body = server.http_get("/api/kpis", {"Authorization": f"Token {token}"})
        assert status == 200, body[:300]
        return json.loads(body)["data"]

    async def scenario():
        async with connect(server.ws_url, origin=ORIGIN, subprotocols=["bearer", token]) as ws:
            assert (await recv(ws))["data"]["load_run_id"] == 1
            await ws.send(json.dumps({"type": "subscribe"}))
            assert (await recv(ws))["data"]["state"] == "subscribed"
            assert (await recv(ws))["data"]["load_run_id"] == 1
            await asyncio.sleep(1.1)  # past the client's 1 s update throttle
            seen = int(await asyncio.to_thread(shell, env, COMMIT_RUN))
            assert seen == 2 and (await recv(ws))["data"]["load_run_id"] == 2
            await asyncio.sleep(1.1)

            restored = await asyncio.to_thread(manage, env, "restore_db", str(backup))
            assert restored.returncode == 0, restored.stderr
            assert "recorded the restore as load run 3, announced to live clients" in restored.stdout
            update = await recv(ws)
            data = update["data"]
            assert (update["type"], data.pop("load_run_id"), data.pop("restored")) == ("update", 3, True)
            data.pop("generated_at")
            assert data == await asyncio.to_thread(api_kpis)  # the restored figures, as the API now serves them
            await asyncio.sleep(1.1)

            later = int(await asyncio.to_thread(shell, env, COMMIT_RUN))
            update = await recv(ws)
            assert (later, update["data"]["load_run_id"], "restored" in update["data"]) == (4, 4, False)

    try:
        asyncio.run(scenario())
    except BaseException:
        print(server.log())
        raise
    finally:
        server.stop()
