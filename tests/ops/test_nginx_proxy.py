"""The production layout end to end: Debian's nginx running
deploy/nginx/bedrot.conf (its ports templated, TLS left out) in front of two real daphne workers sharing Redis.

Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3: Linux routes all of 127/8 to lo), so
nginx sees distinct peers, as it would see distinct machines."""

import asyncio
import http.client
import json
import re
import subprocess
import sys
import time
import uuid

import pytest
from websockets.asyncio.client import connect

from tests.factories import api_token_for
from tests.servers import BASE_DIR, NGINX, child_env, free_port, nginx_conf, run_load_curated

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
DASHBOARD_SERVER, ELSEWHERE = "127.0.0.2", "127.0.0.3"  # API_PUBLIC_READ_FROM lists only the first
ANON_RATE = 4


@pytest.fixture
def layout(tmp_path, subprocess_env, redis_url, daphne_factory, plain_user):
    static_root = tmp_path / "static"
    env = child_env(
        subprocess_env,
        redis_url=redis_url,
        group=f"bedrot.test-{uuid.uuid4().hex[:12]}",
        CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex[:12]}",
        STATIC_ROOT=str(static_root),
        API_PUBLIC_READ="true",
        API_PUBLIC_READ_FROM=f"{DASHBOARD_SERVER}/32",
        TRUSTED_PROXIES="127.0.0.1/32",
        TEST_API_THROTTLE="true",
        API_THROTTLE_ANON=f"{ANON_RATE}/min",
        API_THROTTLE_USER="10000/min",
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    workers = [daphne_factory(env), daphne_factory(env)]
    port = free_port()
    conf = nginx_conf(tmp_path, listen=port, workers=[w.port for w in workers])
    nginx = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while request(port, "/health", source="127.0.0.4")[0] != 200:  # its own address: the others' budgets stay whole
        assert nginx.poll() is None and time.monotonic() < deadline, (tmp_path / "error.log").read_text()
        time.sleep(0.1)
    yield {
        "port": port,
        "env": env,
        "workers": workers,
        "static_root": static_root,
        "logs": tmp_path,
        "token": api_token_for(plain_user),
    }
    nginx.terminate()
    nginx.wait(timeout=10)


def request(port: int, path: str, *, source: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    """One GET to nginx from the loopback address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    except OSError:
        return 0, b"", {}
    finally:
        conn.close()


def test_http_static_files_and_ws_update_from_a_load_in_another_process(layout, lake_copy):
    port, token = layout["port"], layout["token"]
    status, body, _ = request(port, "/api/kpis/summary", source=ELSEWHERE, headers={"Authorization": f"Token {token}"})
    assert status == 200 and json.loads(body)["data"]["total_revenue"] == 0
    css = "admin/css/base.css"
    status, body, headers = request(port, f"/static/{css}", source=ELSEWHERE)
    assert (status, body) == (200, (layout["static_root"] / css).read_bytes())
    assert headers["Content-Type"].startswith("text/css")

    async def scenario():
        url = f"ws://127.0.0.1:{port}/ws"
        async with connect(url, origin="http://localhost:3000", subprotocols=["bearer", token]) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert hello["data"]["state"] == "connected"
            await ws.send(json.dumps({"type": "subscribe", "metrics": ["revenue"]}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["data"]["subscriptions"] == ["financial"]
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert first["type"] == "update" and first["data"]["load_run_id"] is None
            await asyncio.sleep(1.1)  # past the per-client update interval
            loaded = await asyncio.to_thread(run_load_curated, layout["env"], lake_copy)
            assert loaded.returncode == 0, loaded.stderr[-2000:]
            return json.loads(await asyncio.wait_for(ws.recv(), 30))

    update = asyncio.run(scenario())
    from warehouse.models import LoadRun

    run = LoadRun.objects.get()
    assert update["type"] == "update" and update["data"]["load_run_id"] == run.pk
    assert update["data"]["financial"]["total_revenue_usd"] == 1587.06  # sample_lake/README.md
    status, body, _ = request(port, "/api/kpis", source=ELSEWHERE, headers={"Authorization": f"Token {token}"})
    assert json.loads(body)["data"]["financial"] == update["data"]["financial"]


def test_anonymous_reads_only_from_the_listed_address_and_no_forged_addresses(layout):
    port = layout["port"]
    status, body, _ = request(port, "/api/kpis/summary", source=DASHBOARD_SERVER)
    assert status == 200 and json.loads(body)["success"] is True
    refused = {"success": False, "error": "Authentication credentials were not provided."}
    for headers in ({}, {"X-Forwarded-For": DASHBOARD_SERVER}, {"X-Forwarded-For": f"{DASHBOARD_SERVER}, 10.1.1.1"}):
        status, body, _ = request(port, "/api/kpis/summary", source=ELSEWHERE, headers=headers)
        assert (status, json.loads(body)) == (401, refused), headers
    # The anonymous throttle counts the peer nginx saw: a header rotated on every request changes nothing.
    statuses = [
        request(port, "/api/revenue/rps-rates", source=DASHBOARD_SERVER, headers={"X-Forwarded-For": f"10.9.0.{i}"})[0]
        for i in range(ANON_RATE + 2)
    ]
    assert statuses == [200] * (ANON_RATE - 1) + [429] * 3  # the first read above spent one of the budget
    # nginx's access log names the real peer only, whatever the client wrote.
    access = (layout["logs"] / "access.log").read_text()
    assert "10.9.0." not in access and "10.1.1.1" not in access
    assert len(re.findall(rf"(?m)^{re.escape(ELSEWHERE)} - ", access)) == 3

    # /ws follows the same rule: anonymous from the listed address, closed 4401 from another, forged header or not.
    async def anonymous_ws(source: str) -> tuple[str, str]:
        async with connect(
            f"ws://127.0.0.1:{port}/ws",
            origin="http://localhost:3000",
            local_addr=(source, 0),
            additional_headers={"X-Forwarded-For": DASHBOARD_SERVER},
        ) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return first["type"], first["data"].get("state") or first["data"].get("code")

    assert asyncio.run(anonymous_ws(DASHBOARD_SERVER)) == ("status", "connected")
    assert asyncio.run(anonymous_ws(ELSEWHERE)) == ("error", "unauthenticated")
    # Straight to a worker (not through a trusted proxy) the header is not believed either.
    worker = layout["workers"][0]
    conn = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=30, source_address=(ELSEWHERE, 0))
    conn.request("GET", "/api/kpis/summary", headers={"X-Forwarded-For": DASHBOARD_SERVER})
    assert conn.getresponse().status == 401
    conn.close()
