"""Seed 001's Notificacion (fields as the seed's frames show them)."""

from django.db import models


class Notificacion(models.Model):
    # The seed routes on `(?P<consumidor_id>\w+)`, so the id is kept as text, not a foreign key.
    consumidor_id = models.CharField(max_length=64, db_index=True)
    tipo = models.CharField(max_length=50, default="recordatorio")
    contenido = models.TextField()
    fecha_envio = models.DateTimeField(auto_now_add=True)
    leida = models.BooleanField(default=False)
    deseo_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def as_frame(self):
        return {
            "id": self.id,
            "tipo": self.tipo,
            "contenido": self.contenido,
            "fecha_envio": self.fecha_envio.isoformat(),
            "leida": self.leida,
            "deseo_id": self.deseo_id,
        }
