"""Seed 001's api/routing.py."""

from django.urls import re_path

from . import consumers

websocket_urlpatterns = [
    re_path(r"ws/notificaciones/(?P<consumidor_id>\w+)/$", consumers.NotificationConsumer.as_asgi()),
]
