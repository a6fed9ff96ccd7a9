"""Data behind seed 002's streams. LecturaSensor's fields are the seed's; the others are ours."""

from django.db import models


class LecturaSensor(models.Model):
    consumidor_id = models.CharField(max_length=64, db_index=True)
    accel_x = models.FloatField()
    accel_y = models.FloatField()
    accel_z = models.FloatField()
    gyro_x = models.FloatField()
    gyro_y = models.FloatField()
    gyro_z = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)


class LecturaRitmo(models.Model):
    """One heart-rate sample (beats per minute)."""

    consumidor_id = models.CharField(max_length=64, db_index=True)
    bpm = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)


class Deseo(models.Model):
    """A craving ("deseo") the wearable detected or the user logged."""

    consumidor_id = models.CharField(max_length=64, db_index=True)
    tipo = models.CharField(max_length=50, default="craving")
    intensidad = models.PositiveSmallIntegerField(default=5)  # 1..10
    resuelto = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
