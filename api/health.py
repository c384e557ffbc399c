"""Health probes: database reachability and latency, channel-layer round trip, Redis, curated zone, freshness."""

import asyncio
import time
from pathlib import Path

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.utils import timezone

from warehouse import clock, selectors


def database_check() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "unreachable"; the detail stays in the logs, not the body
        return {"ok": False, "latency_ms": None}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


async def _channel_round_trip(timeout: float) -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout)
    return message.get("type") == "health.ping"


def channel_layer_check(timeout: float = 2.0) -> dict:
    try:
        return {"ok": async_to_sync(_channel_round_trip)(timeout)}
    except Exception:
        return {"ok": False}


def redis_check(timeout: float = 2.0) -> dict:
    """Redis (REDIS_URL: the shared cache, rate limits and channel layer) answers a PING. While it does not, reads
    are still served (bedrot_site.redis_cache), so it degrades the status without failing it."""
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return {"ok": bool(client.ping()), "configured": True}
    except redis.exceptions.RedisError:
        return {"ok": False, "configured": True}
    finally:
        client.close()


def curated_zone_check() -> dict:
    configured = bool(str(settings.DATA_LAKE_PATH)) and bool(settings.CURATED_ZONE)
    root = Path(settings.DATA_LAKE_PATH) / settings.CURATED_ZONE
    return {"ok": configured and root.is_dir(), "configured": configured}


def health_report() -> tuple[dict, int]:
    """B7 body and HTTP status: `error` (503) when the database is down; `degraded` (200) for stale sources,
    a failed last run, an unreachable channel layer or Redis, or a missing curated zone."""
    database = database_check()
    checks = {
        "database": database,
        "channel_layer": channel_layer_check(),
        "redis": redis_check(),
        "curated_zone": curated_zone_check(),
        "last_load_run": None,
        "stale_sources": [],
    }
    if database["ok"]:
        checks["last_load_run"] = selectors.load_run_last_get()
        freshness = selectors.freshness_get(today=clock.today())
        checks["stale_sources"] = [source for source, info in freshness.items() if info["stale"]]
        last = checks["last_load_run"]
        degraded = (
            bool(checks["stale_sources"])
            or (last is not None and last["status"] in ("failed", "aborted"))
            or not checks["channel_layer"]["ok"]
            or not checks["redis"]["ok"]
            or not checks["curated_zone"]["ok"]
        )
        status = "degraded" if degraded else "ok"
    else:
        status = "error"
    body = {
        "success": status != "error",
        "data": {"status": status, "checks": checks},
        "metadata": {"generated_at": selectors.ts(timezone.now())},
    }
    return body, 503 if status == "error" else 200
