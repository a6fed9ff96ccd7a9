"""/__test/ routes (see views.py and tests/servers/README.md)."""

from django.urls import path

from . import bench, views

urlpatterns = [
    path("health/", views.health),
    path("users/", views.users),
    path("smartsales/notifications/", views.smartsales_notifications),
    path("smartsales/timed/", bench.smartsales_timed),
    path("wearable/notificaciones/", views.wearable_notifications),
    path("wearable/push/", views.wearable_push),
    path("dashboard/push/", views.dashboard_push_view),
    path("config/", views.config),
    path("tokens/expire/", views.tokens_expire),
    path("tokens/revoke/", views.tokens_revoke),
    path("tokens/issued/", views.tokens_issued),
    path("ws/drop/", views.ws_drop),
    path("sse/drop/", views.sse_drop),
    path("stats/", views.stats),
    path("reset/", views.reset),
]
