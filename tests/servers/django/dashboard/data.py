"""What each seed-002 stream carries: one function per channel, shared by WebSocket and REST.

Each returns the `data` of a `{"type": <update type>, "data": ...}` frame. get_heart_rate_today_data
and get_heart_rate_stats_data keep the names the seed imports from api.views.dashboard_views.
"""

from datetime import timedelta

from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Deseo, LecturaRitmo, LecturaSensor


def sensor_reading(l):
    return {
        "id": l.id,
        "accel_x": float(l.accel_x),
        "accel_y": float(l.accel_y),
        "accel_z": float(l.accel_z),
        "gyro_x": float(l.gyro_x),
        "gyro_y": float(l.gyro_y),
        "gyro_z": float(l.gyro_z),
        "created_at": l.created_at.isoformat(),
    }


def get_sensor_data(consumidor_id):
    """The seed's SensorDataConsumer.get_sensor_data: the 10 newest readings, newest first."""
    lecturas = LecturaSensor.objects.filter(consumidor_id=consumidor_id).order_by("-created_at", "-id")
    return [sensor_reading(l) for l in lecturas[:10]]


def _round(value):
    return None if value is None else round(float(value), 1)


def get_heart_rate_today_data(consumidor_id):
    now = timezone.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = list(
        LecturaRitmo.objects.filter(consumidor_id=consumidor_id, created_at__gte=start).order_by("id")
    )
    bpms = [r.bpm for r in rows]
    return {
        "fecha": start.date().isoformat(),
        "lecturas": [{"id": r.id, "hora": r.created_at.strftime("%H:%M:%S"), "bpm": r.bpm} for r in rows],
        "actual": bpms[-1] if bpms else None,
        "promedio": _round(sum(bpms) / len(bpms)) if bpms else None,
        "total": len(bpms),
    }


def get_heart_rate_stats_data(consumidor_id):
    qs = LecturaRitmo.objects.filter(consumidor_id=consumidor_id)
    agg = qs.aggregate(promedio=Avg("bpm"), minimo=Min("bpm"), maximo=Max("bpm"), total=Count("id"))
    since = timezone.now() - timedelta(days=7)
    por_dia = (
        qs.filter(created_at__gte=since)
        .annotate(fecha=TruncDate("created_at"))
        .values("fecha")
        .annotate(promedio=Avg("bpm"), minimo=Min("bpm"), maximo=Max("bpm"))
        .order_by("fecha")
    )
    return {
        "promedio": _round(agg["promedio"]),
        "minimo": agg["minimo"],
        "maximo": agg["maximo"],
        "total_lecturas": agg["total"],
        "ultimos_7_dias": [
            {"fecha": d["fecha"].isoformat(), "promedio": _round(d["promedio"]),
             "minimo": d["minimo"], "maximo": d["maximo"]}
            for d in por_dia
        ],
    }


def get_desires_tracking_data(consumidor_id):
    qs = Deseo.objects.filter(consumidor_id=consumidor_id)
    return {
        "deseos": [
            {"id": d.id, "tipo": d.tipo, "intensidad": d.intensidad, "resuelto": d.resuelto,
             "created_at": d.created_at.isoformat()}
            for d in qs.order_by("-created_at", "-id")[:20]
        ],
        "pendientes": qs.filter(resuelto=False).count(),
    }


def get_desires_stats_data(consumidor_id):
    agg = Deseo.objects.filter(consumidor_id=consumidor_id).aggregate(
        total=Count("id"), resueltos=Count("id", filter=Q(resuelto=True)), intensidad=Avg("intensidad")
    )
    total, resueltos = agg["total"], agg["resueltos"]
    return {
        "total": total,
        "resueltos": resueltos,
        "pendientes": total - resueltos,
        "tasa_resolucion": round(100.0 * resueltos / total, 1) if total else 0.0,
        "intensidad_promedio": _round(agg["intensidad"]),
    }


# channel -> (frame type, data function). The channel is also the WebSocket path segment and the
# group prefix (group = f"{channel}_{consumidor_id}").
CHANNELS = {
    "sensor_data": ("sensor_update", get_sensor_data),
    "heart_rate_today": ("heart_rate_update", get_heart_rate_today_data),
    "heart_rate_stats": ("heart_rate_stats_update", get_heart_rate_stats_data),
    "desires_tracking": ("desires_tracking_update", get_desires_tracking_data),
    "desires_stats": ("desires_stats_update", get_desires_stats_data),
}


def frame(channel, consumidor_id):
    kind, fetch = CHANNELS[channel]
    return {"type": kind, "data": fetch(consumidor_id)}
