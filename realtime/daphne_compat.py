"""Let daphne send the RFC 6455 close codes the contract uses (1001, 1009, 1011, 1013).

daphne closes through autobahn's `sendClose`, which only accepts 1000 and 3000–4999 (django/daphne#374,
crossbario/autobahn-python#1642), so `close(code=1013)` raised inside daphne and the client never saw a code.
The registered server-side codes go out through `sendCloseFrame`, which daphne itself uses for 1011.
"""

RFC_SERVER_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011, 1013})


def allow_rfc_close_codes() -> None:
    from daphne.ws_protocol import WebSocketProtocol

    if getattr(WebSocketProtocol.serverClose, "_bedrot_rfc_codes", False):
        return
    original = WebSocketProtocol.serverClose

    def server_close(self, code=None):
        if code in RFC_SERVER_CLOSE_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code=code)

    server_close._bedrot_rfc_codes = True
    WebSocketProtocol.serverClose = server_close
