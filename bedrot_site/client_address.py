"""Who is calling: the client address behind trusted proxies, and where anonymous reads may come from.

nginx (deploy/nginx/bedrot.conf) replaces `X-Forwarded-For` with the address it sees. The header is believed only
when the direct peer is in TRUSTED_PROXIES; anyone else could write it themselves, rotate it to dodge the throttle
and forge logs. `TrustedProxyMiddleware` puts the result in the ASGI scope's `client`, so Django's
REMOTE_ADDR, DRF's throttle and the websocket consumer all see the same address.
"""

import ipaddress

from django.conf import settings


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def address_in(*, address: str | None, networks) -> bool:
    ip = _ip(address or "")
    return ip is not None and any(ip in network for network in networks)


def client_address_get(*, peer: str, forwarded_for: str | None) -> str:
    """The nearest address not in TRUSTED_PROXIES, walking X-Forwarded-For from the right, starting at the peer.
    An entry that is not an address ends the walk at the proxy that passed it on."""
    address = peer
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and address_in(address=address, networks=settings.TRUSTED_PROXIES):
        candidate = _ip(hops.pop())
        if candidate is None:
            break
        address = str(candidate)
    return address


def public_read_allowed(*, address: str | None) -> bool:
    """API_PUBLIC_READ is on and the client (after trusted proxies) is in API_PUBLIC_READ_FROM."""
    return settings.API_PUBLIC_READ and address_in(address=address, networks=settings.API_PUBLIC_READ_FROM)


class TrustedProxyMiddleware:
    """ASGI middleware (HTTP and websocket): `scope["client"]` becomes the client address behind trusted proxies."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client:
            forwarded = b",".join(v for k, v in scope.get("headers", []) if k == b"x-forwarded-for")
            address = client_address_get(peer=client[0], forwarded_for=forwarded.decode("latin-1") or None)
            if address != client[0]:
                scope = {**scope, "client": [address, 0]}
        return await self.app(scope, receive, send)
