"""ASGI entry point: Django HTTP plus the Channels websocket at /ws (served by daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bedrot_site.settings")
django_asgi_app = get_asgi_application()  # set up Django before importing code that touches models

from channels.routing import ProtocolTypeRouter  # noqa: E402

from realtime.daphne_compat import allow_rfc_close_codes  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

allow_rfc_close_codes()  # 1009 / 1013 close frames (contract Part C) under daphne

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
