"""Seed 002's consumers: BaseAuthConsumer as the seed writes it, plus the two it leaves open.

Rejection: the seed calls close(code=4001) BEFORE accept(), which daphne answers with HTTP 403 at the
handshake (the 4001 never reaches the client). settings.DASHBOARD_REJECT / the /__test/config/ key
"dashboard_reject" = "accept_then_close" makes reject() accept first, so the client gets close 4001.
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.tokens import AccessToken

from testctl import state

from . import data

User = get_user_model()


class BaseAuthConsumer(AsyncWebsocketConsumer):
    """Consumer base con autenticación JWT"""

    async def connect(self):
        # Obtener token del query string
        query_string = self.scope["query_string"].decode()
        params = dict(x.split("=") for x in query_string.split("&") if "=" in x)
        token = params.get("token")

        if not token:
            await self.reject()
            return

        # Validar token
        try:
            access_token = AccessToken(token)
            user_id = access_token["user_id"]
            self.scope["user"] = await self.get_user(user_id)
        except Exception:
            await self.reject()
            return

        # Obtener consumidor_id de la URL
        self.consumidor_id = self.scope["url_route"]["kwargs"]["consumidor_id"]
        self.group_name = f"{self.channel_prefix}_{self.consumidor_id}"

        # Unirse al grupo
        await self.channel_layer.group_add(self.group_name, self.channel_name)

        await self.accept()

        # Enviar datos iniciales
        await self.send_initial_data()

    async def reject(self):
        """The seed's `await self.close(code=4001)`, optionally after accept() (see module doc)."""
        if state.config["dashboard_reject"] == "accept_then_close":
            await self.accept()
        await self.close(code=4001)

    async def disconnect(self, close_code):
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data):
        """Manejar mensajes del cliente"""
        data = json.loads(text_data)

        if data.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
        elif data.get("type") == "request_data":
            await self.send_initial_data()

    @database_sync_to_async
    def get_user(self, user_id):
        try:
            return User.objects.get(id=user_id)
        except User.DoesNotExist:
            return AnonymousUser()

    async def send_initial_data(self):
        """Initial frame {"type": <update type>, "data": ...} from dashboard.data."""
        frame = await database_sync_to_async(data.frame)(self.channel_prefix, self.consumidor_id)
        await self.send(text_data=json.dumps(frame))

    async def forward(self, event):
        """Enviar actualización desde channel layer"""
        await self.send(text_data=json.dumps(event))


class SensorDataConsumer(BaseAuthConsumer):
    channel_prefix = "sensor_data"
    sensor_update = BaseAuthConsumer.forward


class HeartRateTodayConsumer(BaseAuthConsumer):
    channel_prefix = "heart_rate_today"
    heart_rate_update = BaseAuthConsumer.forward


class HeartRateStatsConsumer(BaseAuthConsumer):
    channel_prefix = "heart_rate_stats"
    heart_rate_stats_update = BaseAuthConsumer.forward


class DesiresTrackingConsumer(BaseAuthConsumer):
    channel_prefix = "desires_tracking"
    desires_tracking_update = BaseAuthConsumer.forward


class DesiresStatsConsumer(BaseAuthConsumer):
    channel_prefix = "desires_stats"
    desires_stats_update = BaseAuthConsumer.forward
