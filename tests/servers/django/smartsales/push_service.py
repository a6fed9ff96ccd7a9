"""Seed 000's push service, as the seed writes it."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model

User = get_user_model()


def send_admin_notification(user, tipo, titulo, mensaje, url="", datos=None):
    """Enviar notificación a un admin específico"""
    from .models import NotificacionAdmin

    # Crear en BD
    notification = NotificacionAdmin.objects.create(
        usuario=user, tipo=tipo, titulo=titulo, mensaje=mensaje, url=url, datos=datos or {}
    )

    # Enviar por WebSocket (note: the seed sends `datos` as given, so None stays null in the frame
    # while the database, and therefore REST, holds {})
    payload = {
        "id": notification.id,
        "tipo": tipo,
        "titulo": titulo,
        "mensaje": mensaje,
        "url": url,
        "datos": datos,
        "creada": notification.creada.isoformat(),
        "leida": False,
    }
    channel_layer = get_channel_layer()
    async_to_sync(channel_layer.group_send)(
        f"admin_notifications_{user.id}",
        {"type": "send_notification", "notification": payload},
    )

    # Added for the smartsales-sse preset (not in the seed): the same object to the admin's SSE
    # channel, stored by django-eventstream so Last-Event-ID can replay it.
    from .sse import publish

    publish(user.id, payload)

    return notification


# Funciones de conveniencia
def send_nueva_compra_admin(compra):
    """Notificar nueva compra a todos los admins"""
    admins = User.objects.filter(is_staff=True, is_active=True)
    for admin in admins:
        send_admin_notification(
            admin,
            "nueva_compra",
            "Nueva Compra Realizada",
            f"Cliente {compra.cliente.nombre} realizó compra #{compra.id} por ${compra.total}",
            f"/admin/orders/{compra.id}/",
            {"cliente_id": compra.cliente.id, "compra_id": compra.id, "total": str(compra.total)},
        )


# Sample events for the test controls: the six kinds of docs/smartsales-contract.md.
SAMPLE_EVENTS = [
    ("nueva_compra", "Nueva Compra Realizada", "Cliente Ana Pérez realizó compra #{n} por $350.00",
     "/admin/orders/{n}/", {"cliente_id": 7, "compra_id": "{n}", "total": "350.00"}),
    ("stock_bajo", "Stock Bajo", "El producto «Licuadora X200» tiene solo 3 unidades (aviso {n})",
     "/admin/products/12/", {"producto_id": 12, "stock": 3}),
    ("pago_procesado", "Pago Procesado", "Se procesó el pago de la compra #{n} por $120.50",
     "/admin/payments/{n}/", {"compra_id": "{n}", "monto": "120.50"}),
    ("nuevo_cliente", "Nuevo Cliente", "Se registró el cliente Luis Gómez (#{n})",
     "/admin/customers/{n}/", {"cliente_id": "{n}"}),
    ("pedido_enviado", "Pedido Enviado", "El pedido #{n} salió hacia Santa Cruz",
     "/admin/orders/{n}/", {"compra_id": "{n}"}),
    ("devolucion_solicitada", "Devolución Solicitada", "El cliente pidió devolver la compra #{n}",
     "/admin/returns/{n}/", {"compra_id": "{n}"}),
]


def sample_event(n):
    """The n-th sample event as (tipo, titulo, mensaje, url, datos), numbers filled in."""
    tipo, titulo, mensaje, url, datos = SAMPLE_EVENTS[n % len(SAMPLE_EVENTS)]
    filled = {k: (n if v == "{n}" else v) for k, v in datos.items()}
    return tipo, titulo, mensaje.format(n=n), url.format(n=n), filled
