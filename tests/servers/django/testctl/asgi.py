"""Outermost WebSocket layer for tests: counts handshakes and their outcome, answers HTTP 404 at the
handshake in ws_404 mode (seed 002's real deployment), and registers open sockets so a control can
drop them.

ws_404 needs the ASGI "websocket.http.response" (denial response) extension. daphne 4.2.3 does not
implement it (it silently ignores those messages and times the handshake out); serve.py installs
daphne_patch, which adds it. Without the patch this layer falls back to closing before accept, i.e.
HTTP 403.
"""

import itertools

from . import state

_ids = itertools.count(1)


class TestControlMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        path = scope["path"]
        state.count_handshake(path, None)

        if state.config["ws_404"]:
            await receive()  # websocket.connect
            if "websocket.http.response" in (scope.get("extensions") or {}):
                await send({"type": "websocket.http.response.start", "status": 404,
                            "headers": [(b"content-type", b"text/html; charset=utf-8")]})
                await send({"type": "websocket.http.response.body", "body": b"<h1>Not Found</h1>"})
                state.count_handshake(path, "not_found")
            else:
                await send({"type": "websocket.close"})
                state.count_handshake(path, "rejected")
            return

        conn_id = next(_ids)
        phase = {"accepted": False, "decided": False}

        async def tracked_send(message):
            kind = message["type"]
            if kind == "websocket.accept" and not phase["decided"]:
                phase.update(accepted=True, decided=True)
                state.open_sockets[conn_id] = (path, send)
                state.count_handshake(path, "accepted")
            elif kind == "websocket.close":
                if not phase["decided"]:
                    phase["decided"] = True
                    state.count_handshake(path, "rejected")
                elif phase["accepted"] and conn_id in state.open_sockets:
                    state.count_server_close(message.get("code"))
                state.open_sockets.pop(conn_id, None)
            await send(message)

        async def tracked_receive():
            message = await receive()
            if message["type"] == "websocket.disconnect":
                state.open_sockets.pop(conn_id, None)
            return message

        try:
            return await self.app(scope, tracked_receive, tracked_send)
        except BaseException:
            if not phase["decided"]:
                state.count_handshake(path, "error")  # daphne answers HTTP 500
            raise
        finally:
            state.open_sockets.pop(conn_id, None)
