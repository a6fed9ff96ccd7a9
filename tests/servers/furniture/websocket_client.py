#!/usr/bin/env python
"""Seed 004's producer: notify_furniture_created/updated/deleted -> the WebSocket server.

Each call opens a connection to WEBSOCKET_URL (default ws://localhost:8765), sends one frame
{"type": "furniture_<event>", "data": {furniture_id, nombre, descripcion, altura, ancho, material,
autor_username}, "timestamp": ISO-8601 UTC} and closes. Failures are logged, never raised: the
function returns False, as the seed promises ("no afecta el flujo principal").

Command line:
    python websocket_client.py created|updated|deleted [--id ID] [--nombre N] [--descripcion D]
        [--altura 75] [--ancho 120] [--material roble] [--autor Juan] [--url ws://...]
exits 0 when the frame was sent, 1 otherwise.
"""

import argparse
import json
import logging
import os
import sys
from datetime import datetime, timezone
from typing import Any, Dict

from websockets.sync.client import connect

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5


def websocket_url() -> str:
    return os.getenv("WEBSOCKET_URL", "ws://localhost:8765")


def notify_websocket(event_type: str, furniture_data: Dict[str, Any]) -> bool:
    """Send one event frame; True when it was written to the socket."""
    url = websocket_url()
    message = {
        "type": event_type,
        "data": furniture_data,
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }
    try:
        with connect(url, open_timeout=TIMEOUT_SECONDS, close_timeout=TIMEOUT_SECONDS) as ws:
            ws.send(json.dumps(message, ensure_ascii=False))
        logger.info("✅ Notificación WebSocket enviada: %s - %s", event_type, furniture_data.get("nombre"))
        return True
    except TimeoutError:
        logger.warning("⚠️ Timeout al conectar con WebSocket: %s", url)
    except OSError as exc:
        logger.warning("⚠️ WebSocket no disponible (%s): %s", url, exc)
    except Exception as exc:  # the CRUD must never fail because of the notification
        logger.error("❌ Error inesperado enviando notificación WebSocket: %s", exc)
    return False


def _furniture(furniture_id, nombre, descripcion, altura, ancho, material, autor_username):
    return {
        "furniture_id": furniture_id,
        "nombre": nombre,
        "descripcion": descripcion,
        "altura": altura,
        "ancho": ancho,
        "material": material,
        "autor_username": autor_username,
    }


def notify_furniture_created(furniture_id: str, nombre: str, descripcion: str, altura: float,
                             ancho: float, material: str, autor_username: str) -> bool:
    """Notifica cuando se crea un nuevo mueble"""
    data = _furniture(furniture_id, nombre, descripcion, altura, ancho, material, autor_username)
    return notify_websocket("furniture_created", data)


def notify_furniture_updated(furniture_id: str, nombre: str, descripcion: str, altura: float,
                             ancho: float, material: str, autor_username: str) -> bool:
    """Notifica cuando se actualiza un mueble existente"""
    data = _furniture(furniture_id, nombre, descripcion, altura, ancho, material, autor_username)
    return notify_websocket("furniture_updated", data)


def notify_furniture_deleted(furniture_id: str, nombre: str, descripcion: str, altura: float,
                             ancho: float, material: str, autor_username: str) -> bool:
    """Notifica cuando se elimina un mueble"""
    data = _furniture(furniture_id, nombre, descripcion, altura, ancho, material, autor_username)
    return notify_websocket("furniture_deleted", data)


def _number(text):
    value = float(text)
    return int(value) if value.is_integer() else value


def main(argv=None):
    parser = argparse.ArgumentParser(description="Emit one seed-004 furniture event")
    parser.add_argument("event", choices=["created", "updated", "deleted"])
    parser.add_argument("--id", default="673a2f1b8e4d2a1c3b5e6f7a")
    parser.add_argument("--nombre", default="Mesa de Roble")
    parser.add_argument("--descripcion", default="Mesa elegante de comedor")
    parser.add_argument("--altura", type=_number, default=75)
    parser.add_argument("--ancho", type=_number, default=120)
    parser.add_argument("--material", default="roble")
    parser.add_argument("--autor", default="Juan")
    parser.add_argument("--url", help="overrides WEBSOCKET_URL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.url:
        os.environ["WEBSOCKET_URL"] = args.url
    notify = {"created": notify_furniture_created, "updated": notify_furniture_updated,
              "deleted": notify_furniture_deleted}[args.event]
    ok = notify(args.id, args.nombre, args.descripcion, args.altura, args.ancho, args.material, args.autor)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
