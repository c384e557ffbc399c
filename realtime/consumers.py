"""The /ws consumer (contract Part C): origin, auth, limits, the client verbs and throttled `update` frames.

The consumer stays thin: figures come from the hub's snapshot (warehouse.selectors.kpis_get), and a forced
refresh goes through warehouse.services.load_run_enqueue, exactly like POST /api/refresh.
"""

import asyncio
import math
import time
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import OperationalError

from bedrot_site.client_address import public_read_allowed
from realtime.auth import BAD_TOKEN_LOCKOUT, BEARER, bearer_requested, origin_refusal, scope_origin
from realtime.frames import frame_decode
from realtime.hub import Hub, get_hub
from realtime.snapshot import ALIASES, ALL_TOPICS_NAME, TOPICS, Snapshot, timestamp
from warehouse import services
from warehouse.db_busy import busy_message, database_busy
from warehouse.models import LoadRun

CLOSE_FRAME_TOO_LARGE = 1009
CLOSE_AT_CAPACITY = 1013
CLOSE_UNAUTHENTICATED = 4401
CLOSE_ORIGIN = 4403
CLOSE_BAD_TOKENS = 4429  # not in contract Part C: the warehouse's lock-out of addresses guessing tokens
VERBS = ("subscribe", "unsubscribe", "refresh", "ping")


class BadRequest(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@database_sync_to_async
def _enqueue_refresh(user) -> int:
    """Queue a forced load exactly like POST /api/refresh (same service, so the same 'one run at a time' rule)."""
    try:
        run = services.load_run_enqueue(trigger=LoadRun.Trigger.WEBSOCKET, requested_by=user, force=True)
    except services.LoadRunConflict as exc:
        # The contract's error codes have no "conflict"; the message names the running run, as the API's 409 does.
        raise BadRequest("bad_request", str(exc)) from exc
    except OperationalError as exc:
        if database_busy(exc):  # a load holds the write lock past the busy timeout: POST /api/refresh says 503
            raise BadRequest("busy", busy_message()) from exc
        raise
    return run.pk


class KpiConsumer(AsyncJsonWebsocketConsumer):
    # Consumers get events from the process hub, never from the layer: no per-connection layer channel.
    channel_layer_alias = "realtime.no-layer"

    async def connect(self):
        self.hub: Hub | None = None
        self.topics: frozenset[str] = frozenset()
        self._open = False
        self._frames: deque[float] = deque()
        self._rate_error_sent = False
        self._pending: Snapshot | None = None
        self._newest_offered: tuple[int, int] = (-1, -1)
        self._last_update_at = float("-inf")
        self._flush_task: asyncio.Task | None = None
        self._heartbeat_task: asyncio.Task | None = None

        # Accept first in every case: a close during the handshake shows the client only 1006.
        await self.accept(BEARER if BEARER in (self.scope.get("subprotocols") or []) else None)
        refusal = origin_refusal(
            origin=scope_origin(self.scope), allowed=settings.WS_ALLOWED_ORIGINS, bearer=bearer_requested(self.scope)
        )
        if refusal:
            await self.close(code=CLOSE_ORIGIN, reason=refusal)
            return
        lockout = self.scope.get(BAD_TOKEN_LOCKOUT)
        if lockout is not None:
            seconds = max(1, math.ceil(lockout))
            message = f"Too many invalid API tokens from this address: try again in {seconds} s."
            await self._send_error("rate_limited", message)
            await self.close(code=CLOSE_BAD_TOKENS, reason=f"too many invalid tokens; retry in {seconds} s")
            return
        user = self.scope.get("user")
        client = self.scope.get("client") or [None]
        if not (user is not None and user.is_authenticated) and not public_read_allowed(address=client[0]):
            await self._send_error(
                "unauthenticated", 'Log in (session cookie) or send the subprotocols ["bearer", "<token>"].'
            )
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        hub = get_hub()
        if not hub.register(self):
            await self.close(code=CLOSE_AT_CAPACITY)
            return
        self.hub = hub
        self._open = True
        await hub.learn_load_run_id()
        self._heartbeat_task = asyncio.create_task(self._heartbeat())
        await self._send_status("connected")

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Whatever ends this consumer (a disconnect, an exception daphne turns into 1011, a cancellation)
            # gives its slot back: a slot kept by a dead consumer locked every later client out.
            self._release()

    async def disconnect(self, code):
        self._release()

    def _release(self) -> None:
        if getattr(self, "hub", None) is not None:
            self.hub.unregister(self)  # idempotent
        self._open = False
        for task in (getattr(self, "_heartbeat_task", None), getattr(self, "_flush_task", None)):
            if task is not None:
                task.cancel()

    # --- client frames ---------------------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not self._open:
            return
        size = len(text_data.encode("utf-8")) if text_data is not None else len(bytes_data or b"")
        if size > settings.WS_MAX_FRAME_BYTES:
            self._open = False
            await self.close(code=CLOSE_FRAME_TOO_LARGE)
            return
        if not self._within_rate():
            if not self._rate_error_sent:
                self._rate_error_sent = True
                limit, window = settings.WS_RATE_LIMIT
                await self._send_error("rate_limited", f"More than {limit} frames in {window:g} s; frame dropped.")
            return
        self._rate_error_sent = False
        if text_data is None:
            await self._send_error("bad_json", "Frames must be JSON text.")
            return
        try:
            content = frame_decode(text=text_data)
        except ValueError as exc:  # never echoed: the id of a frame that is not strict JSON is not a JSON value
            await self._send_error("bad_json", f"Frames must be JSON text ({str(exc)[:80]}).")
            return
        echo = {"request_id": content["id"]} if isinstance(content, dict) and "id" in content else {}
        try:
            await self._dispatch(content, echo)
        except BadRequest as exc:
            await self._send_error(exc.code, exc.message, echo)

    def _within_rate(self) -> bool:
        limit, window = settings.WS_RATE_LIMIT
        now = time.monotonic()
        while self._frames and now - self._frames[0] >= window:
            self._frames.popleft()
        if len(self._frames) >= limit:
            return False  # dropped frames do not count, so a client recovers once its window clears
        self._frames.append(now)
        return True

    async def _dispatch(self, content, extra: dict) -> None:
        if not isinstance(content, dict):
            raise BadRequest("bad_request", "A frame must be a JSON object.")
        verb_type, verb_action = content.get("type"), content.get("action")
        if "type" in content and "action" in content and verb_type != verb_action:
            raise BadRequest("bad_request", '"type" and "action" disagree; send one of them.')
        verb = verb_type if "type" in content else verb_action
        if verb not in VERBS:
            raise BadRequest("unknown_type", f"Unknown type {verb!r}; expected one of {', '.join(VERBS)}.")
        if verb == "ping":
            await self.send_json({"type": "pong", "data": {"server_time": timestamp(), **extra}})
        elif verb == "subscribe":
            self.topics = self.topics | self._requested_topics(content)
            snapshot = await self.hub.current_snapshot()
            await self._send_status("subscribed", extra)
            self.offer_update(snapshot)
        elif verb == "unsubscribe":
            self.topics = self.topics - self._requested_topics(content)
            await self._send_status("unsubscribed", extra)
        elif verb == "refresh":
            await self._refresh(content, extra)

    @staticmethod
    def _requested_topics(content: dict) -> frozenset[str]:
        names: list = []
        if "metrics" in content:
            metrics = content["metrics"]
            if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
                raise BadRequest("bad_request", '"metrics" must be a non-empty list of topic names.')
            names += metrics
        if "channel" in content:
            if not isinstance(content["channel"], str):
                raise BadRequest("bad_request", '"channel" must be a topic name.')
            names.append(content["channel"])
        if not names:
            return frozenset(TOPICS)
        topics = set()
        for name in names:
            if name == ALL_TOPICS_NAME:
                topics.update(TOPICS)
            elif ALIASES.get(name, name) in TOPICS:
                topics.add(ALIASES.get(name, name))
            else:
                raise BadRequest(
                    "unknown_metric",
                    f"Unknown topic {name!r}; topics: {', '.join(TOPICS)} (aliases: streams, revenue; kpis = all).",
                )
        return frozenset(topics)

    async def _refresh(self, content: dict, extra: dict) -> None:
        force = content.get("force", False)
        if not isinstance(force, bool):
            raise BadRequest("bad_request", '"force" must be true or false.')
        if not force:
            self.offer_update(await self.hub.current_snapshot())
            return
        user = self.scope.get("user")
        if not (user is not None and user.is_authenticated and user.is_staff):
            raise BadRequest("forbidden", "A forced refresh needs a staff user.")
        load_run_id = await _enqueue_refresh(user)
        await self._send_status("refresh_queued", extra, load_run_id=load_run_id)

    # --- server frames ---------------------------------------------------------------------------------------
    async def _send_status(self, state: str, extra: dict | None = None, *, load_run_id: int | None = None) -> None:
        data = {
            "state": state,
            "subscriptions": sorted(self.topics),
            "load_run_id": load_run_id if load_run_id is not None else self.hub.known_load_run_id,
            "server_time": timestamp(),
            **(extra or {}),
        }
        await self.send_json({"type": "status", "data": data})

    async def _send_error(self, code: str, message: str, extra: dict | None = None) -> None:
        await self.send_json({"type": "error", "data": {"code": code, "message": message, **(extra or {})}})

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.WS_HEARTBEAT_INTERVAL)
            await self._send_status("heartbeat")

    def offer_update(self, snapshot: Snapshot) -> asyncio.Task | None:
        """Queue `snapshot` for this client: at most one update per WS_UPDATE_MIN_INTERVAL, newest wins.

        Returns the send task when it goes out now (the hub times its fan-out with it), else None.
        """
        if not self._open or not self.topics or snapshot.order < self._newest_offered:
            return None
        self._newest_offered = snapshot.order
        self._pending = snapshot
        if self._flush_task is not None:
            return None  # a send is already scheduled: it will carry this newer snapshot
        delay = max(self._last_update_at + settings.WS_UPDATE_MIN_INTERVAL - time.monotonic(), 0.0)
        self._flush_task = asyncio.create_task(self._flush(delay))
        return self._flush_task if delay == 0.0 else None

    async def _flush(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        snapshot, self._pending = self._pending, None
        self._flush_task = None
        if snapshot is None or not self._open or not self.topics:
            return
        self._last_update_at = time.monotonic()
        await self.send(text_data=snapshot.frame(self.topics))
