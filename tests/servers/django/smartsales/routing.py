"""Seed 000's routing.py."""

from django.urls import re_path

from . import consumers

websocket_urlpatterns = [
    re_path(r"ws/api/admin/notificaciones/$", consumers.AdminNotificationConsumer.as_asgi()),
]
