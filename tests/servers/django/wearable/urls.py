"""/api/notificaciones/... (seed 001 polling fallback)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.NotificationList.as_view()),
    path("<int:pk>/marcar-leida/", views.MarkRead.as_view()),
]
