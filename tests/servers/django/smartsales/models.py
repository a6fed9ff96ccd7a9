"""Seed 000's NotificacionAdmin (the seed creates it in push_service.py without showing the model)."""

from django.conf import settings
from django.db import models


class NotificacionAdmin(models.Model):
    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notificaciones_admin"
    )
    tipo = models.CharField(max_length=50)
    titulo = models.CharField(max_length=200)
    mensaje = models.TextField()
    url = models.CharField(max_length=500, blank=True, default="")
    datos = models.JSONField(default=dict, blank=True)
    creada = models.DateTimeField(auto_now_add=True)
    leida = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def as_frame(self):
        """The object the REST side returns: the same keys as the seed's WebSocket frame."""
        return {
            "id": self.id,
            "tipo": self.tipo,
            "titulo": self.titulo,
            "mensaje": self.mensaje,
            "url": self.url,
            "datos": self.datos,
            "creada": self.creada.isoformat(),
            "leida": self.leida,
        }
