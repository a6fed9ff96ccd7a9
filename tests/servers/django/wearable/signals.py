"""Seed 001: post_save on Notificacion pushes new rows to group notifications_{consumidor_id}."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Notificacion


@receiver(post_save, sender=Notificacion)
def push_new_notification(sender, instance, created, **kwargs):
    if not created:
        return
    async_to_sync(get_channel_layer().group_send)(
        f"notifications_{instance.consumidor_id}",
        {"type": "notification_message", "notification": instance.as_frame()},
    )
