"""How a committed load reaches /ws clients.

The loader (`manage.py load_curated`, its own process) calls `load_run_committed` after a run that committed
changed rows. With channels-redis (REDIS_URL) the event reaches the hub of every daphne process at once. With
the in-memory layer it reaches only hubs in the calling process; daphne's load_run watcher covers the rest
(realtime/hub.py), so a failed or missing send never loses an update there.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from realtime.hub import EVENT_TYPE

logger = logging.getLogger(__name__)


def load_run_committed(*, load_run_id: int) -> None:
    """Called by the loader after a run that committed at least one changed row (outside any transaction).

    Never raises: the load is already committed, and a broken Redis must not turn it into a failed run.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            settings.WS_BROADCAST_GROUP, {"type": EVENT_TYPE, "load_run_id": int(load_run_id)}
        )
    except Exception:
        logger.warning("could not announce load run %s on the channel layer", load_run_id, exc_info=True)
