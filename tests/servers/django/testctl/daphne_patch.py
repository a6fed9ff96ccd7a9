"""Teach daphne 4.2.3 the ASGI WebSocket denial-response extension ("websocket.http.response").

daphne can only refuse a handshake with 403 (close before accept) or 500 (application error); it
ignores websocket.http.response.* messages. This patch advertises the extension in the scope and turns
`websocket.http.response.start` + final `websocket.http.response.body` into an HTTP error at the
handshake with that status, through autobahn's ConnectionDeny, i.e. exactly how daphne sends its 403
(status line and headers, no body). Used by serve.py for the ws_404 test mode.
"""

from http import HTTPStatus


def install():
    from autobahn.websocket.types import ConnectionDeny
    from daphne import server, ws_protocol

    protocol = ws_protocol.WebSocketProtocol
    if getattr(protocol, "_aviso_denial_patch", False):
        return
    original_reply = protocol.handle_reply
    original_create = server.Server.create_application

    def handle_reply(self, message):
        kind = message.get("type")
        if kind == "websocket.http.response.start":
            if self.state != self.STATE_CONNECTING:
                raise ValueError("websocket.http.response.start after the handshake")
            self._aviso_denial_status = int(message["status"])
            return
        if kind == "websocket.http.response.body":
            if message.get("more_body") or not hasattr(self, "handshake_deferred"):
                return
            status = getattr(self, "_aviso_denial_status", 403)
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Denied"
            self.handshake_deferred.errback(ConnectionDeny(code=status, reason=reason))
            del self.handshake_deferred
            self.server.protocol_disconnected(self)
            return
        return original_reply(self, message)

    def create_application(self, proto, scope):
        if scope.get("type") == "websocket":
            extensions = dict(scope.get("extensions") or {})
            extensions["websocket.http.response"] = {}
            scope = dict(scope, extensions=extensions)
        return original_create(self, proto, scope)

    protocol.handle_reply = handle_reply
    protocol._aviso_denial_patch = True
    server.Server.create_application = create_application

    from . import state

    state.denial_response_supported = True
