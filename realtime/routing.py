"""Websocket routing: /ws and /ws/, behind the session-cookie and bearer-subprotocol auth stack."""

from channels.routing import URLRouter
from django.urls import re_path

from realtime.auth import WebsocketAuthStack
from realtime.consumers import KpiConsumer

websocket_urlpatterns = [re_path(r"^ws/?$", KpiConsumer.as_asgi())]
websocket_application = WebsocketAuthStack(URLRouter(websocket_urlpatterns))
