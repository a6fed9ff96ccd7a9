"""Test controls (/__test/) and the hooks they need: token cutoffs, stats, ws_404, socket drops."""

from django.apps import AppConfig


class TestctlConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "testctl"

    def ready(self):
        from . import state

        state.install_token_cutoff_check()
