"""Websocket push latency: N clients on one daphne process with the Redis channel layer.

Builds a fresh SQLite warehouse from the bundled sample lake (migrate + `manage.py load_curated`), starts daphne with
the production settings module and REDIS_URL, connects token-authenticated websocket clients (the `websockets`
package, loopback only) that each subscribe to every topic, then times rounds of "a load run commits → every
client has its `update`". Each round does what the loader does after a commit: it commits a finished LoadRun with
changed rows and calls `realtime.broadcasting.load_run_committed` (Redis group_send), in this process, recording
the wall-clock time right after the commit. Latency = arrival time at the client − commit time.

The baseline is the same round with one client, in the same run, so the ratio shows what fan-out to N costs.
Memory per connection = (daphne RSS with N subscribed clients − RSS before they connected) / N.

    .venv/bin/python bench/ws_bench.py                         # 500 clients, 5 rounds
    .venv/bin/python bench/ws_bench.py --clients 200 --rounds 3

Bounded: at most 1000 clients, a 10 s limit per round, one daphne process. Results: docs/PERFORMANCE.md.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from production_env import production_env

BASE = Path(__file__).resolve().parent.parent
ORIGIN = "http://localhost:3000"
MAX_CLIENTS = 1000
ROUND_TIMEOUT = 10.0


def _env(db: Path, redis_url: str, group: str, clients: int) -> dict:
    return production_env(
        database=db,
        REDIS_URL=redis_url,
        WS_BROADCAST_GROUP=group,  # private: no other process on this Redis can add events
        WS_MAX_CONNECTIONS=str(clients + 10),
        LOG_LEVEL="INFO",  # daphne logs one `ws_publish` line per snapshot computation
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )


def _start_daphne(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "bedrot_site.asgi:application"],
        cwd=BASE,
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, port
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:]) from None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def _commit_and_announce() -> tuple[int, float]:
    """The loader's last two steps: commit the finished run, then announce it on the channel layer."""
    from django.utils import timezone

    from realtime.broadcasting import load_run_committed
    from warehouse.models import LoadRun

    now = timezone.now()
    run = LoadRun.objects.create(status=LoadRun.Status.SUCCEEDED, started_at=now, finished_at=now, rows_changed=1)
    committed_at = time.time()  # autocommit: the row is committed when create() returns
    load_run_committed(load_run_id=run.pk)
    return run.pk, committed_at


class Client:
    def __init__(self, ws):
        self.ws = ws
        self.arrivals: dict[int, float] = {}
        self.task = asyncio.create_task(self._read())

    async def _read(self):
        async for text in self.ws:
            received = time.time()
            frame = json.loads(text)
            if frame["type"] == "update" and frame["data"]["load_run_id"] is not None:
                self.arrivals[frame["data"]["load_run_id"]] = received


async def _connect(url: str, token: str, count: int) -> list:
    from websockets.asyncio.client import connect

    async def one():
        ws = await connect(url, origin=ORIGIN, subprotocols=["bearer", token], max_queue=None, open_timeout=30)
        assert json.loads(await ws.recv())["data"]["state"] == "connected"
        await ws.send(json.dumps({"type": "subscribe"}))
        assert json.loads(await ws.recv())["data"]["state"] == "subscribed"
        assert json.loads(await ws.recv())["type"] == "update"
        return ws

    sockets = []
    for start in range(0, count, 50):  # batches: a burst of 500 handshakes would only measure the accept queue
        sockets += await asyncio.gather(*(one() for _ in range(min(50, count - start))))
    return sockets


async def _rounds(clients: list[Client], rounds: int) -> list[list[float]]:
    results = []
    for _ in range(rounds):
        await asyncio.sleep(1.2)  # past every client's 1 s update throttle, so nothing is held back
        run_id, committed_at = await asyncio.to_thread(_commit_and_announce)
        deadline = time.monotonic() + ROUND_TIMEOUT
        while any(run_id not in c.arrivals for c in clients):
            if time.monotonic() > deadline:
                missing = sum(run_id not in c.arrivals for c in clients)
                raise RuntimeError(f"round for load run {run_id}: {missing} clients had no update in {ROUND_TIMEOUT} s")
            await asyncio.sleep(0.005)
        results.append([c.arrivals[run_id] - committed_at for c in clients])
    return results


async def _measure(url: str, token: str, count: int, rounds: int, daphne_pid: int) -> dict:
    rss_before = _rss_kib(daphne_pid)
    sockets = await _connect(url, token, count)
    await asyncio.sleep(0.5)
    rss_after = _rss_kib(daphne_pid)
    clients = [Client(ws) for ws in sockets]
    results = await _rounds(clients, rounds)
    for client in clients:
        client.task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets))
    await asyncio.sleep(0.5)
    last = [max(r) for r in results]  # commit → the last client's update, one value per round
    every = sorted(x for r in results for x in r)
    return {
        "clients": count,
        "rounds": rounds,
        "last_p50": statistics.median(last),
        "last_p95": _pct(last, 95),
        "last_max": max(last),
        "all_p50": statistics.median(every),
        "all_p95": _pct(every, 95),
        "rss_per_conn_kib": (rss_after - rss_before) / count,
    }


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.rounds <= 20:
        parser.error(f"--clients must be 1..{MAX_CLIENTS}, --rounds 1..20")

    workdir = Path(tempfile.mkdtemp(prefix="ws-bench-"))
    env = _env(workdir / "bench.sqlite3", args.redis_url, f"bedrot.bench-{secrets.token_hex(6)}", args.clients)
    os.environ.update({k: env[k] for k in env if k.startswith(("DJANGO", "DATABASE", "REDIS", "WS_", "LOG"))})
    print(f"building the warehouse from the sample lake in {workdir} …", file=sys.stderr)
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_curated", "--lake", str(BASE / "sample_lake"))

    sys.path.insert(0, str(BASE))
    import django

    django.setup()
    from django.contrib.auth.models import User

    from warehouse.tokens import api_token_create

    user = User.objects.create_user("ws-bench", password=secrets.token_urlsafe(16))
    _, token = api_token_create(user=user, name="bench")
    daphne, port = _start_daphne(env, workdir / "daphne.log")
    try:
        url = f"ws://127.0.0.1:{port}/ws"
        baseline = asyncio.run(_measure(url, token, 1, args.rounds, daphne.pid))
        loaded = asyncio.run(_measure(url, token, args.clients, args.rounds, daphne.pid))
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
    publish = [line for line in (workdir / "daphne.log").read_text().splitlines() if "ws_publish" in line]
    server_side = [
        {
            k: float(v)
            for k, v in (part.split("=") for part in line.split() if part.startswith(("snapshot_s", "fanout_s")))
        }
        for line in publish[args.rounds :]  # the N-client rounds
    ]
    print(f"\ncommit → update, daphne + Redis, {args.rounds} rounds each (seconds):\n")
    print(
        "| clients | last client p50 | last client p95 | last client max | all clients p50 | all clients p95 "
        "| RSS per connection |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in (baseline, loaded):
        rss = f"{row['rss_per_conn_kib']:.1f} KiB" if row["clients"] > 1 else "n/a (first connection starts the hub)"
        print(
            f"| {row['clients']} | {row['last_p50']:.3f} | {row['last_p95']:.3f} | {row['last_max']:.3f} "
            f"| {row['all_p50']:.3f} | {row['all_p95']:.3f} | {rss} |"
        )
    print(
        f"\nratio last-client p50, {args.clients} clients / 1 client: {loaded['last_p50'] / baseline['last_p50']:.2f}"
    )
    print(f"target (all {args.clients} within 1 s): {'met' if loaded['last_max'] < 1.0 else 'MISSED'}")
    print(
        f"snapshot computations logged by daphne: {len(publish)} for {2 * args.rounds} rounds "
        f"(one per commit, however many clients)"
    )
    if server_side:
        print(
            f"daphne side, {args.clients} clients: snapshot p50 {statistics.median(s['snapshot_s'] for s in server_side):.3f} s, "
            f"fan-out (all frames handed to the sockets) p50 {statistics.median(s['fanout_s'] for s in server_side):.3f} s"
        )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
