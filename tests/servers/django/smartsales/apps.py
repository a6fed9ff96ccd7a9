"""Seed 000: SmartSales365 admin notifications."""

from django.apps import AppConfig


class SmartsalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "smartsales"
