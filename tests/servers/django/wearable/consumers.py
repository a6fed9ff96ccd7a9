"""Seed 001's NotificationConsumer: initial list, ping/pong, mark_read, live pushes.

Auth is open, as in the seed (AuthMiddlewareStack without a login requirement).
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .models import Notificacion

logger = logging.getLogger(__name__)

# How many notifications the initial frame carries (newest first).
INITIAL_LIMIT = 50


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.consumidor_id = self.scope["url_route"]["kwargs"]["consumidor_id"]
        self.group_name = f"notifications_{self.consumidor_id}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        logger.info("WebSocket conectado: consumidor %s", self.consumidor_id)
        notifications = await self.get_notifications()
        await self.send(
            text_data=json.dumps({"type": "initial_notifications", "notifications": notifications})
        )

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "")
        except json.JSONDecodeError:
            await self.send(text_data=json.dumps({"type": "error", "message": "JSON inválido"}))
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
        elif kind == "mark_read":
            notification_id = data.get("notification_id")
            if await self.mark_read(notification_id):
                await self.send(
                    text_data=json.dumps({"type": "marked_read", "notification_id": notification_id})
                )
            else:
                await self.send(
                    text_data=json.dumps(
                        {"type": "error", "message": f"Notificación {notification_id} no encontrada"}
                    )
                )
        else:
            await self.send(
                text_data=json.dumps({"type": "error", "message": f"Tipo de mensaje desconocido: {kind}"})
            )

    async def notification_message(self, event):
        """Channel-layer event from the post_save signal."""
        await self.send(
            text_data=json.dumps({"type": "new_notification", "notification": event["notification"]})
        )

    @database_sync_to_async
    def get_notifications(self):
        rows = Notificacion.objects.filter(consumidor_id=self.consumidor_id).order_by("-fecha_envio", "-id")
        return [n.as_frame() for n in rows[:INITIAL_LIMIT]]

    @database_sync_to_async
    def mark_read(self, notification_id):
        try:
            pk = int(notification_id)
        except (TypeError, ValueError):
            return False
        return bool(
            Notificacion.objects.filter(id=pk, consumidor_id=self.consumidor_id).update(leida=True)
        )
