"""/api/admin/notificaciones/... (docs/smartsales-contract.md)."""

from django.urls import path

from . import sse, views

urlpatterns = [
    path("eventos/", sse.eventos),
    path("", views.NotificationList.as_view()),
    path("<int:pk>/marcar-leida/", views.MarkRead.as_view()),
    path("marcar-todas-leidas/", views.MarkAllRead.as_view()),
    path("no-leidas/", views.UnreadCount.as_view()),
]
