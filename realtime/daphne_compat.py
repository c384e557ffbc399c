"""Let daphne send what contract Part C needs in a close frame: the RFC 6455 codes (1001, 1009, 1011, 1013) and
the close reason (4403 names the refused origin).

daphne closes through autobahn's `sendClose`, which only accepts 1000 and 3000–4999 (django/daphne#374,
crossbario/autobahn-python#1642), so `close(code=1013)` raised inside daphne and the client never saw a code.
The registered server-side codes go out through `sendCloseFrame`, which daphne itself uses for 1011.

Autobahn also fails a connection "by drop" on the server side: a message over daphne's 1 MiB limit cut the TCP
connection and the client saw 1006. With failByDrop off it sends the close frame first (1009 for a message too
big, 1002/1007 for protocol errors), then drops the connection if the client does not answer.

daphne also drops the ASGI `reason` of `websocket.close`; it is passed on here (at most 123 bytes, RFC 6455 §5.5).

One HTTP fix lives here too, since it patches daphne the same way: `skip_twisted_form_parsing`.
"""

from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

RFC_SERVER_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011, 1013})
MAX_REASON_BYTES = 123


def allow_rfc_close_codes() -> None:
    if not getattr(WebSocketFactory.__init__, "_bedrot_close_frames", False):
        original_init = WebSocketFactory.__init__

        def factory_init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            self.setProtocolOptions(failByDrop=False)

        factory_init._bedrot_close_frames = True
        WebSocketFactory.__init__ = factory_init

    if getattr(WebSocketProtocol.serverClose, "_bedrot_rfc_codes", False):
        return
    original_reply = WebSocketProtocol.handle_reply

    def server_close(self, code=None, reason=None):
        code = 1000 if code is None else code
        reason_utf8 = reason.encode("utf-8")[:MAX_REASON_BYTES] if reason else None
        if code in RFC_SERVER_CLOSE_CODES:
            self.sendCloseFrame(code=code, reasonUtf8=reason_utf8, isReply=False)
        else:
            self.sendClose(code=code, reason=reason_utf8.decode("utf-8", "ignore") if reason_utf8 else None)

    def handle_reply(self, message):
        if message.get("type") == "websocket.close" and self.state != self.STATE_CONNECTING:
            self.serverClose(code=message.get("code"), reason=message.get("reason"))
            return
        original_reply(self, message)

    server_close._bedrot_rfc_codes = True
    WebSocketProtocol.serverClose = server_close
    WebSocketProtocol.handle_reply = handle_reply


def skip_twisted_form_parsing() -> None:
    """twisted.web's Request parses every POST form body into `request.args` before daphne sees the request: a
    multipart upload goes whole through `email.message_from_bytes` (a 10 MB admin import grew daphne by ~150 MB;
    Twisted's docs: "can use large amounts of memory for large uploads"). daphne never reads `args`: it hands the raw
    body to Django, which streams uploads to a temporary file. Twisted's own switch turns the parsing off."""
    from daphne.http_protocol import WebRequest

    if getattr(WebRequest.__init__, "_bedrot_no_form_parsing", False):
        return
    original_init = WebRequest.__init__

    def request_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False

    request_init._bedrot_no_form_parsing = True
    WebRequest.__init__ = request_init
