"""Who may open /ws: the Origin rule (checked first) and the bearer-token subprotocol (next to the session cookie),
with unknown tokens counted per client address like the API's (api/throttling.py BadTokenThrottle)."""

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser, User
from django.utils.http import is_same_domain

from api.throttling import BadTokenThrottle
from warehouse.tokens import api_token_user

BEARER = "bearer"
# Scope key set by BearerSubprotocolAuthMiddleware: the seconds an address that sent too many unknown tokens waits.
BAD_TOKEN_LOCKOUT = "bedrot.bad_token_lockout"
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


def origin_refusal(*, origin: str | None, allowed: list[str], bearer: bool) -> str | None:
    """Why /ws refuses this Origin (the close reason sent with 4403), or None when it is accepted (contract Part C).

    Browsers always send Origin, so a missing one is a script, a server or the scheduler: served when it
    authenticates with the bearer token, refused for a session cookie (the cookie is what cross-site pages abuse).
    """
    if origin is None:
        return None if bearer else "Origin header required for cookie authentication"
    if origin_allowed(origin=origin, allowed=allowed):
        return None
    # A close reason holds at most 123 bytes; the origin is the client's own text, cut to fit.
    return f"origin {origin.encode('utf-8', 'replace')[:64].decode('utf-8', 'ignore')} not in WS_ALLOWED_ORIGINS"


def bearer_requested(scope: dict) -> bool:
    """The client offered the token subprotocols `["bearer", "<token>"]` (valid or not: auth decides next)."""
    subprotocols = scope.get("subprotocols") or []
    return len(subprotocols) == 2 and subprotocols[0] == BEARER


def scope_origin(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _bearer_user(*, key: str, address: str) -> tuple[User | None, float | None]:
    """(the key's active user or None, None), or (None, seconds to wait) when the address's unknown tokens (over HTTP
    and /ws alike) fill API_THROTTLE_BAD_TOKEN: then the key is not even looked up, so a guesser learns nothing
    until the window passes, and a valid key from that address waits too."""
    throttle = BadTokenThrottle(address=address)
    lockout = throttle.lockout()
    if lockout is not None:
        return None, lockout
    user = api_token_user(key=key)
    if user is None:
        throttle.allow_request(None, None)  # counts this unknown key (the lock-out above refuses the next ones)
    return (user if user is not None and user.is_active else None), None


class BearerSubprotocolAuthMiddleware(BaseMiddleware):
    """Authenticates `Sec-WebSocket-Protocol: bearer, <token>` (browsers cannot set Authorization on a websocket,
    and a token in the URL ends up in proxy logs). A valid token overrides the session user; an invalid one leaves
    the connection anonymous. The token is never logged or echoed. An address locked out for unknown tokens gets
    BAD_TOKEN_LOCKOUT in the scope (the consumer closes 4429)."""

    async def __call__(self, scope, receive, send):
        if bearer_requested(scope):
            scope = dict(scope)
            address = (scope.get("client") or [""])[0] or ""
            user, scope[BAD_TOKEN_LOCKOUT] = await _bearer_user(key=scope["subprotocols"][1], address=address)
            scope["user"] = user or AnonymousUser()
        return await super().__call__(scope, receive, send)


def WebsocketAuthStack(inner):  # noqa: N802 (named like Channels' AuthMiddlewareStack)
    """Session cookie first (AuthMiddlewareStack), then the bearer subprotocol, which wins when present."""
    return AuthMiddlewareStack(BearerSubprotocolAuthMiddleware(inner))
