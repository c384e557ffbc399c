"""ASGI entry point: Django HTTP plus the Channels websocket at /ws (served by daphne)."""

import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bedrot_site.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does; before importing code that touches models


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the view run in one thread hop per request.

    Every HTTP view here is sync and WhiteNoise is sync-only, so Django's async chain crossed between the event loop
    and the sync thread for each middleware method (~15 hops, 3-4 ms per request on this hardware). The chain itself
    is unchanged: same middleware, same order, same view; only where it runs."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from realtime.daphne_compat import allow_rfc_close_codes, skip_twisted_form_parsing  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

allow_rfc_close_codes()  # 1009 / 1013 close frames (contract Part C) under daphne
skip_twisted_form_parsing()  # uploads reach Django as a stream, not parsed whole in memory by twisted first

from bedrot_site.client_address import TrustedProxyMiddleware  # noqa: E402

# The client address behind trusted proxies, for HTTP and /ws alike (not daphne --proxy-headers: it believes anyone).
application = TrustedProxyMiddleware(ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application}))
