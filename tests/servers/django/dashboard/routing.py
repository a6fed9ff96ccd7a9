"""Seed 002's backend/routing.py."""

from django.urls import re_path

from . import consumers

websocket_urlpatterns = [
    re_path(r"ws/sensor_data/(?P<consumidor_id>\w+)/$", consumers.SensorDataConsumer.as_asgi()),
    re_path(r"ws/heart_rate_today/(?P<consumidor_id>\w+)/$", consumers.HeartRateTodayConsumer.as_asgi()),
    re_path(r"ws/heart_rate_stats/(?P<consumidor_id>\w+)/$", consumers.HeartRateStatsConsumer.as_asgi()),
    re_path(r"ws/desires_tracking/(?P<consumidor_id>\w+)/$", consumers.DesiresTrackingConsumer.as_asgi()),
    re_path(r"ws/desires_stats/(?P<consumidor_id>\w+)/$", consumers.DesiresStatsConsumer.as_asgi()),
]
