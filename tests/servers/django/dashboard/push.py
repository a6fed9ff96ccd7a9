"""Seed 002's "send updates through the channel layer", for every channel.

record() stores a new sample and pushes what changed, the way the seed's views would:
  sensor_data           -> sensor_update with the ONE new reading (the seed's send_sensor_update;
                           note the initial frame's data is a list of 10, a live one is one object)
  heart_rate_today/stats -> a new LecturaRitmo, then both heart-rate streams get recomputed data
  desires_tracking/stats -> a new Deseo, then both desire streams get recomputed data
"""

import random

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from . import data
from .models import Deseo, LecturaRitmo, LecturaSensor


def send_update(channel, consumidor_id, payload):
    """group_send {"type": <update type>, "data": payload} to `{channel}_{consumidor_id}`."""
    message = {"type": data.CHANNELS[channel][0], "data": payload}
    async_to_sync(get_channel_layer().group_send)(f"{channel}_{consumidor_id}", message)
    return message


def send_sensor_update(consumidor_id, lectura_data):
    """The seed's helper, verbatim in effect."""
    return send_update("sensor_data", consumidor_id, lectura_data)


def record(channel, consumidor_id, body):
    """Store one sample for `channel` (fields from `body`, else random) and push; returns messages."""
    if channel == "sensor_data":
        fields = {k: float(body.get(k, round(random.uniform(-2, 2), 3)))
                  for k in ("accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z")}
        lectura = LecturaSensor.objects.create(consumidor_id=consumidor_id, **fields)
        return [send_sensor_update(consumidor_id, data.sensor_reading(lectura))]
    if channel.startswith("heart_rate"):
        LecturaRitmo.objects.create(consumidor_id=consumidor_id, bpm=int(body.get("bpm", random.randint(60, 110))))
        related = ("heart_rate_today", "heart_rate_stats")
    else:
        Deseo.objects.create(
            consumidor_id=consumidor_id,
            tipo=body.get("tipo", "craving"),
            intensidad=int(body.get("intensidad", random.randint(1, 10))),
            resuelto=bool(body.get("resuelto", False)),
        )
        related = ("desires_tracking", "desires_stats")
    return [send_update(c, consumidor_id, data.frame(c, consumidor_id)["data"]) for c in related]
