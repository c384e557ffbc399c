"""One hub per server process: it learns about committed load runs, computes the snapshot once per event and
hands it to every local /ws consumer.

Two ways in, both always real:
- the channel layer (channels-redis when REDIS_URL is set): the hub's own channel is the only member of
  WS_BROADCAST_GROUP for this process, so the loader's one `group_send` costs one Redis message per daphne
  process, not one per client;
- a watcher (WS_LOAD_RUN_POLL_INTERVAL > 0, the default without Redis): it polls `load_run` for newly finished
  runs that changed rows, because an in-memory layer cannot cross from the loader's process.
Both feed `publish()`, which drops ids it has already seen, so the two paths never double an update.
"""

import asyncio
import logging
import time
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from realtime.snapshot import Snapshot, latest_committed_load_run_id, snapshot_compute
from warehouse.models import LoadRun

logger = logging.getLogger(__name__)

EVENT_TYPE = "load_run.committed"
_STOP_TYPE = "realtime.hub_stop"
_MEMBERSHIP_REFRESH_SECONDS = 3600  # channels-redis expires group membership after a day


class Client(Protocol):
    def offer_update(self, snapshot: Snapshot) -> asyncio.Task | None: ...


@database_sync_to_async
def _compute(load_run_id: int | None) -> Snapshot:
    return snapshot_compute(load_run_id=load_run_id)


@database_sync_to_async
def _latest_committed() -> int | None:
    return latest_committed_load_run_id()


@database_sync_to_async
def _watch_start() -> tuple[int, list[int]]:
    """The first floor (below the oldest unfinished run) and the runs above it that had finished already."""
    oldest_unfinished = (
        LoadRun.objects.filter(finished_at__isnull=True).order_by("id").values_list("id", flat=True).first()
    )
    if oldest_unfinished is None:
        return LoadRun.objects.order_by("-id").values_list("id", flat=True).first() or 0, []
    floor = oldest_unfinished - 1
    finished = LoadRun.objects.filter(id__gt=floor, finished_at__isnull=False).values_list("id", flat=True)
    return floor, list(finished)


@database_sync_to_async
def _watch_poll(floor: int) -> tuple[list[int], int]:
    """Runs newer than `floor` that have finished with changed rows, and the next floor.

    The floor stays below the oldest unfinished run, so a run that started earlier but commits later is not missed.
    """
    rows = list(LoadRun.objects.filter(id__gt=floor).order_by("id").values_list("id", "finished_at", "rows_changed"))
    committed = [run_id for run_id, finished_at, changed in rows if finished_at is not None and changed > 0]
    unfinished = [run_id for run_id, finished_at, _ in rows if finished_at is None]
    next_floor = (min(unfinished) - 1) if unfinished else (rows[-1][0] if rows else floor)
    return committed, next_floor


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.clients: set[Client] = set()
        self.snapshot: Snapshot | None = None
        self._seen: set[int] = set()
        self._highest = 0
        self._pending: dict[int | None, asyncio.Future] = {}
        self._tasks: list[asyncio.Task] = []
        self._layer = None
        self._channel: str | None = None
        self._listener: asyncio.Task | None = None
        self.watcher_ready = asyncio.Event()
        self.listener_ready = asyncio.Event()

    # --- clients ---------------------------------------------------------------------------------------------
    def register(self, client: Client) -> bool:
        if len(self.clients) >= settings.WS_MAX_CONNECTIONS:
            return False
        self.clients.add(client)
        return True

    def unregister(self, client: Client) -> None:
        self.clients.discard(client)

    @property
    def known_load_run_id(self) -> int | None:
        """The newest committed load run this process knows of (status frames carry it)."""
        known = max(self._highest, self.snapshot.load_run_id or 0 if self.snapshot else 0)
        return known or None

    async def learn_load_run_id(self) -> None:
        """Ask the database once, so the first `connected` frame of a fresh process names the latest run."""
        if self.known_load_run_id is None:
            self._highest = max(self._highest, await _latest_committed() or 0)

    # --- snapshots -------------------------------------------------------------------------------------------
    async def _snapshot_for(self, load_run_id: int | None) -> Snapshot:
        """Concurrent callers asking for the same run share one computation."""
        future = self._pending.get(load_run_id)
        if future is None:
            future = self.loop.create_future()
            self._pending[load_run_id] = future
            try:
                snapshot = await _compute(load_run_id)
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # mark retrieved: the caller below re-raises it
                raise
            finally:
                self._pending.pop(load_run_id, None)
            future.set_result(snapshot)
            if self.snapshot is None or snapshot.order > self.snapshot.order:
                self.snapshot = snapshot
            return snapshot
        return await asyncio.shield(future)

    async def current_snapshot(self) -> Snapshot:
        """The newest snapshot, recomputed when older than WS_SNAPSHOT_TTL (subscribe and refresh use it)."""
        snapshot = self.snapshot
        if snapshot is not None and time.monotonic() - snapshot.created < settings.WS_SNAPSHOT_TTL:
            return snapshot
        if self._pending:
            return await asyncio.shield(next(iter(self._pending.values())))
        return await self._snapshot_for(None)

    async def publish(self, load_run_id: int) -> None:
        """A load run committed changed rows: compute once, offer to every client (each throttles itself)."""
        if load_run_id in self._seen:
            return
        self._seen.add(load_run_id)
        # load_run_id only increases on the wire: a late-committing older run is announced under the newest id.
        self._highest = max(self._highest, load_run_id)
        started = time.monotonic()
        snapshot = await self._snapshot_for(self._highest)
        computed = time.monotonic()
        sends = [task for client in list(self.clients) if (task := client.offer_update(snapshot)) is not None]
        await asyncio.gather(*sends, return_exceptions=True)
        logger.info(
            "ws_publish load_run_id=%s snapshot_s=%.3f fanout_s=%.3f sent_now=%d clients=%d",
            snapshot.load_run_id,
            computed - started,
            time.monotonic() - computed,
            len(sends),
            len(self.clients),
        )

    def _publish_soon(self, load_run_id: int) -> None:
        task = self.loop.create_task(self.publish(load_run_id))
        task.add_done_callback(_log_failure)

    # --- event sources ---------------------------------------------------------------------------------------
    def start(self) -> None:
        if get_channel_layer() is not None:
            self._listener = self.loop.create_task(self._listen())
            self._tasks.append(self._listener)
        else:
            self.listener_ready.set()
        if settings.WS_LOAD_RUN_POLL_INTERVAL > 0:
            self._tasks.append(self.loop.create_task(self._watch(settings.WS_LOAD_RUN_POLL_INTERVAL)))
        else:
            self.watcher_ready.set()

    async def _listen(self) -> None:
        group = settings.WS_BROADCAST_GROUP
        while True:
            try:
                self._layer = get_channel_layer()
                # Keep one channel across retries: events queued for it while Redis hiccuped are still delivered.
                self._channel = self._channel or await self._layer.new_channel("realtime-hub.")
                await self._layer.group_add(group, self._channel)
                self.listener_ready.set()
                joined = time.monotonic()
                while True:
                    if time.monotonic() - joined > _MEMBERSHIP_REFRESH_SECONDS:
                        await self._layer.group_add(group, self._channel)
                        joined = time.monotonic()
                    message = await self._layer.receive(self._channel)
                    if message.get("type") == _STOP_TYPE:
                        return
                    if message.get("type") == EVENT_TYPE and isinstance(message.get("load_run_id"), int):
                        self._publish_soon(message["load_run_id"])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("channel layer listener failed; retrying in 1 s", exc_info=True)
                await asyncio.sleep(1)

    async def _watch(self, interval: float) -> None:
        floor = None
        while True:
            try:
                if floor is None:
                    floor, finished = await _watch_start()
                    self._seen.update(finished)  # announced before this process started
                    self.watcher_ready.set()
                await asyncio.sleep(interval)
                committed, floor = await _watch_poll(floor)
                committed = [run_id for run_id in committed if run_id not in self._seen]
                if committed:
                    self._seen.update(committed[:-1])  # one update for a burst of runs: the newest stands for all
                    self._publish_soon(committed[-1])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("load_run watcher poll failed; retrying", exc_info=True)
                await asyncio.sleep(interval)

    async def stop(self) -> None:
        if self._layer is not None and self._channel is not None:
            # Wake the listener with a message rather than cancelling it: a cancelled channels-redis receive
            # only unwinds after its 5 s blocking pop, and the layer refuses a new loop's receive until it has.
            try:
                await asyncio.wait_for(self._layer.send(self._channel, {"type": _STOP_TYPE}), 5)
                await asyncio.wait([self._listener], timeout=5)
            except Exception:
                logger.warning("could not stop the layer listener cleanly", exc_info=True)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=5)
            if stuck:
                logger.warning("hub tasks did not stop within 5 s: %s", stuck)
        self._tasks.clear()
        if self._layer is not None and self._channel is not None:
            try:
                await asyncio.wait_for(self._layer.group_discard(settings.WS_BROADCAST_GROUP, self._channel), 5)
            except Exception:
                logger.warning("could not leave the broadcast group", exc_info=True)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("publishing a load run failed", exc_info=task.exception())


_hub: Hub | None = None


def get_hub() -> Hub:
    """The hub of the running event loop (daphne has one loop; each async test has its own)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        _hub = Hub(loop)
        _hub.start()
    return _hub


async def hub_stop() -> None:
    """Stop this loop's hub (tests call it so no task or group membership outlives the test)."""
    global _hub
    if _hub is not None and _hub.loop is asyncio.get_running_loop():
        await _hub.stop()
    _hub = None
