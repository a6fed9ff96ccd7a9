"""Seed 000's consumer, verbatim: staff only; closing before accept() is HTTP 403 under daphne."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model

User = get_user_model()


class AdminNotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.user = self.scope["user"]

        # Solo permitir administradores
        if not self.user.is_authenticated or not self.user.is_staff:
            await self.close()
            return

        # Unirse al grupo de notificaciones admin
        await self.channel_layer.group_add(f"admin_notifications_{self.user.id}", self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        # Salir del grupo
        await self.channel_layer.group_discard(
            f"admin_notifications_{self.user.id}", self.channel_name
        )

    async def send_notification(self, event):
        notification = event["notification"]
        await self.send(text_data=json.dumps(notification))
