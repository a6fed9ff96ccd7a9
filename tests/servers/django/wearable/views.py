"""Polling fallback for seed 001 (the seed has no REST list; this shape is ours, see README).

GET  /api/notificaciones/?consumidor_id=N[&after=ID][&leida=false]
     -> {"count": N, "results": [notification...]} ascending by id, same objects as the WS frames
POST /api/notificaciones/<id>/marcar-leida/?consumidor_id=N -> {"id": id, "leida": true} or 404
Open, like the seed's WebSocket: no authentication at all, so a stale bearer token does no harm.
"""

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Notificacion


class NotificationList(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        consumidor_id = request.query_params.get("consumidor_id")
        if not consumidor_id:
            return Response({"detail": "consumidor_id es obligatorio"}, status=400)
        try:
            after = int(request.query_params.get("after") or 0)
        except ValueError:
            return Response({"detail": "after debe ser entero"}, status=400)
        qs = Notificacion.objects.filter(consumidor_id=consumidor_id, id__gt=after).order_by("id")
        leida = request.query_params.get("leida")
        if leida is not None:
            qs = qs.filter(leida=leida.lower() in ("1", "true", "yes"))
        results = [n.as_frame() for n in qs]
        return Response({"count": len(results), "results": results})


class MarkRead(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request, pk):
        qs = Notificacion.objects.filter(id=pk)
        consumidor_id = request.query_params.get("consumidor_id") or request.data.get("consumidor_id")
        if consumidor_id:
            qs = qs.filter(consumidor_id=consumidor_id)
        if not qs.update(leida=True):
            return Response({"detail": "No encontrado."}, status=404)
        return Response({"id": pk, "leida": True})
