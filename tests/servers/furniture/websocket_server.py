#!/usr/bin/env python
"""Seed 004's WebSocket server: producers and consumers on one plain WebSocket endpoint.

    python websocket_server.py [--port 8765] [--host 127.0.0.1] [--greeting]

Every connection may send and receive. A JSON text message whose "type" is furniture_created,
furniture_updated or furniture_deleted is relayed unchanged to every OTHER open connection (the frame
websocket_client.notify_websocket builds: {"type", "data": {...}, "timestamp"}). Anything else is
answered to its sender only with {"type": "error", "message": ...}. Any path is accepted.

--greeting (off by default; a reading some servers built from the seed have): each new connection
first gets, to itself only, {"type": "connection_established", "message": "Conectado al servidor de
muebles", "client_id": "<fresh uuid4 hex>", "timestamp": "<ISO-8601 UTC now>"}.

Plain HTTP GETs on the same port (websockets' process_request): /health -> {"status": "ok", "clients": N};
/__test/stats -> {"clients", "received", "broadcasts", "delivered", "history": [last 100 frames]};
/__test/drop -> closes every connection (code 1012) -> {"dropped": N}; /__test/reset clears counters.
Prints "READY <port>" once listening (PORT 0 picks a free port).
"""

import argparse
import asyncio
import json
import logging
import signal
import uuid
from collections import deque
from datetime import datetime, timezone

from websockets.asyncio.server import broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

EVENT_TYPES = {"furniture_created", "furniture_updated", "furniture_deleted"}

logger = logging.getLogger("websocket_server")
clients = set()
counters = {"received": 0, "broadcasts": 0, "delivered": 0}
history = deque(maxlen=100)
options = {"greeting": False}
# Close codes the clients' close frames carried (1006: the connection ended without one).
client_closes = {}


def json_response(status, body):
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return Response(status, "OK" if status == 200 else "Not Found", headers, data)


async def process_request(connection, request):
    """Answer the plain-HTTP control paths; let WebSocket upgrades through (return None)."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return None
    path = request.path.split("?", 1)[0].rstrip("/")
    if path == "/health":
        return json_response(200, {"status": "ok", "clients": len(clients)})
    if path == "/__test/stats":
        return json_response(
            200, {"clients": len(clients), **counters, "history": list(history), "client_closes": client_closes}
        )
    if path == "/__test/drop":
        dropped = list(clients)
        for ws in dropped:
            asyncio.ensure_future(ws.close(1012, "dropped by test control"))
        return json_response(200, {"dropped": len(dropped)})
    if path == "/__test/reset":
        history.clear()
        counters.update(received=0, broadcasts=0, delivered=0)
        client_closes.clear()
        return json_response(200, {"status": "ok"})
    return json_response(404, {"error": "not found", "path": path})


def greeting():
    return {
        "type": "connection_established",
        "message": "Conectado al servidor de muebles",
        "client_id": uuid.uuid4().hex,
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }


async def handler(websocket):
    if options["greeting"]:
        # Sent before the connection joins `clients`, so no relay can overtake it.
        try:
            await websocket.send(json.dumps(greeting(), ensure_ascii=False))
        except ConnectionClosed:  # closed during the greeting: nothing to serve
            return
    clients.add(websocket)
    logger.info("cliente conectado (%d)", len(clients))
    try:
        async for raw in websocket:
            counters["received"] += 1
            try:
                message = json.loads(raw)
            except (TypeError, ValueError):
                await websocket.send(json.dumps({"type": "error", "message": "JSON inválido"}))
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if kind not in EVENT_TYPES:
                await websocket.send(
                    json.dumps({"type": "error", "message": f"tipo desconocido: {kind}"}, ensure_ascii=False)
                )
                continue
            others = [c for c in clients if c is not websocket]
            broadcast(others, raw if isinstance(raw, str) else raw.decode())
            counters["broadcasts"] += 1
            counters["delivered"] += len(others)
            history.append(message)
            logger.info("%s -> %d clientes", kind, len(others))
    finally:
        clients.discard(websocket)
        # Only a close the client started (the server's own /__test/drop closes are not counted).
        proto = websocket.protocol
        rcvd = proto.close_rcvd
        if proto.close_sent is None or (rcvd is not None and proto.close_rcvd_then_sent):
            code = str(rcvd.code) if rcvd is not None else "1006"
            client_closes[code] = client_closes.get(code, 0) + 1
        logger.info("cliente desconectado (%d)", len(clients))


async def main():
    parser = argparse.ArgumentParser(description="Seed 004 furniture WebSocket server")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--greeting", action="store_true",
                        help="send each new connection a connection_established frame first")
    args = parser.parse_args()
    options["greeting"] = args.greeting
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(handler, args.host, args.port, process_request=process_request) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"READY {port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
