"""Polling fallback for seed 002: GET /api/dashboard/<channel>/<consumidor_id>/ (Bearer access token).

Answers the same {"type": <update type>, "data": ...} body the WebSocket sends on connect. With the
test config dashboard_rest = "bare_kebab", the path spells the channel with "-" for "_"
(/api/dashboard/heart-rate-today/22/) and the answer is the data alone.
"""

from testctl import state

from rest_framework.response import Response
from rest_framework.views import APIView

from . import data


class ChannelSnapshot(APIView):
    def get(self, request, channel, consumidor_id):
        bare = state.config.get("dashboard_rest") == "bare_kebab"
        name = channel.replace("-", "_") if bare else channel
        if name not in data.CHANNELS or (bare and "_" in channel) or (not bare and "-" in channel):
            return Response({"detail": f"Canal desconocido: {channel}"}, status=404)
        frame = data.frame(name, consumidor_id)
        return Response(frame["data"] if bare else frame)
