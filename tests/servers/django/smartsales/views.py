"""REST side of seed 000, as fixed by docs/smartsales-contract.md."""

import hashlib
import json
from urllib.parse import urlencode

from django.http import HttpResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from testctl import state

from .models import NotificacionAdmin

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def _int_param(request, name, default, minimum):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    value = int(raw)  # ValueError -> 400 below
    if value < minimum:
        raise ValueError(name)
    return value


class NotificationList(APIView):
    """GET ?after=&limit=&leida= -> {"count", "next", "results"} ascending by id, with an ETag.

    `count` is the number of notifications matching the filter (id > after, leida) over all pages.

    With the test config list_order = "desc" (a reading of seed 000 where the list is newest first,
    as DRF list views ordered by -creada are): the page of the NEWEST matches, ids descending; `after`
    still keeps only id > after, `limit` still caps the page, `before` keeps only id < before, and
    `next` is the following (older) page: ?before=<last id on this page>&limit=[&after=][&leida=].
    `count` is then the matches of (after < id < before, leida): this page and the older ones.
    `before` is ignored in the default "asc" order, as it always was.
    """

    def get(self, request):
        desc = state.config.get("list_order") == "desc"
        try:
            after = _int_param(request, "after", 0, 0)
            limit = min(_int_param(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
            before = _int_param(request, "before", None, 1) if desc else None
        except ValueError:
            detail = "after, before y limit deben ser enteros (limit, before >= 1)" if desc else \
                "after y limit deben ser enteros (limit >= 1)"
            return Response({"detail": detail}, status=400)
        qs = NotificacionAdmin.objects.filter(usuario=request.user, id__gt=after)
        if before is not None:
            qs = qs.filter(id__lt=before)
        qs = qs.order_by("-id" if desc else "id")
        leida = request.query_params.get("leida")
        if leida is not None:
            qs = qs.filter(leida=leida.lower() in ("1", "true", "yes"))
        count = qs.count()
        page = list(qs[:limit])
        next_url = None
        if count > len(page):
            if desc:
                params = {"before": page[-1].id, "limit": limit}
                if after:
                    params["after"] = after
            else:
                params = {"after": page[-1].id, "limit": limit}
            if leida is not None:
                params["leida"] = leida
            next_url = request.build_absolute_uri(request.path + "?" + urlencode(params))
        body = {"count": count, "next": next_url, "results": [n.as_frame() for n in page]}
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(payload, content_type="application/json")
        response["ETag"] = etag
        return response


class MarkRead(APIView):
    def post(self, request, pk):
        updated = NotificacionAdmin.objects.filter(id=pk, usuario=request.user).update(leida=True)
        if not updated:
            return Response({"detail": "No encontrado."}, status=404)
        return Response({"id": pk, "leida": True})


class MarkAllRead(APIView):
    def post(self, request):
        marked = NotificacionAdmin.objects.filter(usuario=request.user, leida=False).update(leida=True)
        return Response({"marcadas": marked})


class UnreadCount(APIView):
    def get(self, request):
        count = NotificacionAdmin.objects.filter(usuario=request.user, leida=False).count()
        return Response({"count": count})
