"""Seed 001: WearableApi notifications (signals registered in ready(), as the seed says)."""

from django.apps import AppConfig


class WearableConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wearable"

    def ready(self):
        from . import signals  # noqa: F401
