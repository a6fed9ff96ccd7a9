"""Polling fallback for seed 002: GET /api/dashboard/<channel>/<consumidor_id>/ (Bearer access token).

Answers the same {"type": <update type>, "data": ...} body the WebSocket sends on connect.
"""

from rest_framework.response import Response
from rest_framework.views import APIView

from . import data


class ChannelSnapshot(APIView):
    def get(self, request, channel, consumidor_id):
        if channel not in data.CHANNELS:
            return Response({"detail": f"Canal desconocido: {channel}"}, status=404)
        return Response(data.frame(channel, consumidor_id))
