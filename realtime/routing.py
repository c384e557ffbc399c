"""Websocket routing: /ws and /ws/ (filled in by the realtime issue)."""

from channels.routing import URLRouter

websocket_urlpatterns: list = []
websocket_application = URLRouter(websocket_urlpatterns)
