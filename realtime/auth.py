"""Who may open /ws: the Origin rule (checked first) and the bearer-token subprotocol (next to the session cookie)."""

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from django.utils.http import is_same_domain

BEARER = "bearer"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _parse_origin(value: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, explicit port or None) of an origin or an allow-list entry; None when malformed."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def origin_allowed(*, origin: str | None, allowed: list[str]) -> bool:
    """True when `origin` matches an entry of `allowed` (WS_ALLOWED_ORIGINS).

    An entry with a port matches that port (default ports implied); an entry without one allows any port of
    that scheme and host, because the warehouse's own hosts come from DJANGO_ALLOWED_HOSTS without ports.
    A leading-dot host (`.example.com`) matches the domain and its subdomains, as in ALLOWED_HOSTS.
    """
    parsed = _parse_origin(origin) if origin else None
    if parsed is None:
        return False
    scheme, host, port = parsed
    port = port or _DEFAULT_PORTS[scheme]
    for entry in allowed:
        rule = _parse_origin(entry)
        if rule is None or rule[0] != scheme:
            continue
        if rule[2] is not None and rule[2] != port:
            continue
        if is_same_domain(host, rule[1]):
            return True
    return False


def scope_origin(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _user_for_token(key: str):
    from warehouse.tokens import api_token_user

    user = api_token_user(key=key)
    return user if user is not None and user.is_active else None


class BearerSubprotocolAuthMiddleware(BaseMiddleware):
    """Authenticates `Sec-WebSocket-Protocol: bearer, <token>` (browsers cannot set Authorization on a websocket,
    and a token in the URL ends up in proxy logs). A valid token overrides the session user; an invalid one leaves
    the connection anonymous. The token is never logged or echoed."""

    async def __call__(self, scope, receive, send):
        subprotocols = scope.get("subprotocols") or []
        if len(subprotocols) == 2 and subprotocols[0] == BEARER:
            scope = dict(scope)
            scope["user"] = await _user_for_token(subprotocols[1]) or AnonymousUser()
        return await super().__call__(scope, receive, send)


def WebsocketAuthStack(inner):  # noqa: N802 (named like Channels' AuthMiddlewareStack)
    """Session cookie first (AuthMiddlewareStack), then the bearer subprotocol, which wins when present."""
    return AuthMiddlewareStack(BearerSubprotocolAuthMiddleware(inner))
