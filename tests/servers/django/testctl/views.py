"""/__test/ control endpoints (mounted only when settings.TEST_CONTROLS). JSON in, JSON out, no auth.

See tests/servers/README.md for every endpoint's request and answer.
"""

import asyncio
import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard import push as dashboard_push
from dashboard.data import CHANNELS
from dashboard.models import Deseo, LecturaRitmo, LecturaSensor
from smartsales.models import NotificacionAdmin
from smartsales.push_service import sample_event, send_admin_notification
from wearable.models import Notificacion

from . import state

User = get_user_model()


def _body(request):
    if not request.body:
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _bad(message, status=400):
    return JsonResponse({"detail": message}, status=status)


def _user(body):
    """The user named by body["user_id"] or body["username"] (default: "admin")."""
    if "user_id" in body:
        return User.objects.get(id=body["user_id"])
    return User.objects.get(username=body.get("username", "admin"))


@require_GET
def health(request):
    return JsonResponse({"status": "ok", "denial_response": state.denial_response_supported})


@csrf_exempt
@require_POST
def users(request):
    """Create or update a user: {"username", "password"?, "is_staff"?} -> {"id", "username", "is_staff"}."""
    body = _body(request)
    username = body.get("username")
    if not username:
        return _bad("username is required")
    user, created = User.objects.get_or_create(username=username)
    user.set_password(body.get("password", username))
    user.is_staff = bool(body.get("is_staff", False))
    user.is_active = bool(body.get("is_active", True))
    user.save()
    return JsonResponse(
        {"id": user.id, "username": user.username, "is_staff": user.is_staff, "created": created},
        status=201 if created else 200,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def smartsales_notifications(request):
    """POST: emit `count` seed-000 notifications through send_admin_notification -> {"ids": [...]}.
    GET ?user_id=|username=: dump the server-side rows with their read state."""
    if request.method == "GET":
        qs = NotificacionAdmin.objects.order_by("id")
        if request.GET.get("user_id"):
            qs = qs.filter(usuario_id=request.GET["user_id"])
        if request.GET.get("username"):
            qs = qs.filter(usuario__username=request.GET["username"])
        return JsonResponse(
            {"results": [dict(n.as_frame(), usuario_id=n.usuario_id) for n in qs]}
        )
    body = _body(request)
    try:
        user = _user(body)
    except User.DoesNotExist:
        return _bad("no such user", 404)
    count = int(body.get("count", 1))
    start = NotificacionAdmin.objects.count() + 1
    ids = []
    for i in range(count):
        tipo, titulo, mensaje, url, datos = sample_event(start + i)
        notification = send_admin_notification(
            user,
            body.get("tipo", tipo),
            body.get("titulo", titulo),
            body.get("mensaje", mensaje),
            body.get("url", url),
            body["datos"] if "datos" in body else datos,
        )
        ids.append(notification.id)
    return JsonResponse({"ids": ids})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wearable_notifications(request):
    """POST {"consumidor_id", "count"?, "tipo"?, "contenido"?, "deseo_id"?}: create seed-001 rows with
    the ORM (the post_save signal pushes them) -> {"ids": [...]}. GET ?consumidor_id=: dump rows."""
    if request.method == "GET":
        qs = Notificacion.objects.order_by("id")
        if request.GET.get("consumidor_id"):
            qs = qs.filter(consumidor_id=request.GET["consumidor_id"])
        return JsonResponse(
            {"results": [dict(n.as_frame(), consumidor_id=n.consumidor_id) for n in qs]}
        )
    body = _body(request)
    if "consumidor_id" not in body:
        return _bad("consumidor_id is required")
    ids = []
    for i in range(int(body.get("count", 1))):
        n = Notificacion.objects.create(
            consumidor_id=str(body["consumidor_id"]),
            tipo=body.get("tipo", "alerta"),
            contenido=body.get("contenido", f"Alta probabilidad de craving detectada ({i + 1})"),
            deseo_id=body.get("deseo_id"),
        )
        ids.append(n.id)
    return JsonResponse({"ids": ids})


@csrf_exempt
@require_POST
def wearable_push(request):
    """{"consumidor_id", "notification": {...}}: group_send it as is, the way seed 001's shell example
    does (`notification_message`), e.g. a partial notification with only id, tipo and contenido."""
    body = _body(request)
    if "consumidor_id" not in body or not isinstance(body.get("notification"), dict):
        return _bad("consumidor_id and notification (an object) are required")
    async_to_sync(get_channel_layer().group_send)(
        f"notifications_{body['consumidor_id']}",
        {"type": "notification_message", "notification": body["notification"]},
    )
    return JsonResponse({"sent": body["notification"]})


@require_GET
def tokens_issued(request):
    """Every access and refresh token issued so far: {"tokens": [...]} (for leak scans)."""
    with state._lock:
        return JsonResponse({"tokens": list(state.issued_tokens)})


@csrf_exempt
@require_POST
def dashboard_push_view(request):
    """{"channel", "consumidor_id", "data"?}: with "data", group_send it as is; without, store a new
    sample for the channel and push what the seed would (dashboard/push.py) -> {"sent": [messages]}."""
    body = _body(request)
    channel = body.get("channel")
    if channel not in CHANNELS:
        return _bad(f"channel must be one of {sorted(CHANNELS)}")
    if "consumidor_id" not in body:
        return _bad("consumidor_id is required")
    consumidor_id = str(body["consumidor_id"])
    if "data" in body:
        sent = [dashboard_push.send_update(channel, consumidor_id, body["data"])]
    else:
        sent = dashboard_push.record(channel, consumidor_id, body)
    return JsonResponse({"sent": sent})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def config(request):
    """GET/POST {"ws_404"?: bool, "sse_stall"?: bool, "sse_keepalive"?: seconds|null,
    "dashboard_reject"?: "close_before_accept"|"accept_then_close", "list_order"?: "asc"|"desc", "dashboard_rest"?: "typed"|"bare_kebab"}."""
    if request.method == "POST":
        body = _body(request)
        if "ws_404" in body:
            state.config["ws_404"] = bool(body["ws_404"])
        if "sse_stall" in body:
            state.config["sse_stall"] = bool(body["sse_stall"])
        if "sse_keepalive" in body:
            value = body["sse_keepalive"]
            state.config["sse_keepalive"] = float(value) if value else None
        if "dashboard_reject" in body:
            if body["dashboard_reject"] not in state.REJECT_MODES:
                return _bad(f"dashboard_reject must be one of {state.REJECT_MODES}")
            state.config["dashboard_reject"] = body["dashboard_reject"]
        if "dashboard_rest" in body:
            if body["dashboard_rest"] not in state.DASHBOARD_REST:
                return _bad(f"dashboard_rest must be one of {state.DASHBOARD_REST}")
            state.config["dashboard_rest"] = body["dashboard_rest"]
        if "list_order" in body:
            if body["list_order"] not in state.LIST_ORDERS:
                return _bad(f"list_order must be one of {state.LIST_ORDERS}")
            state.config["list_order"] = body["list_order"]
    return JsonResponse(dict(state.config, denial_response=state.denial_response_supported))


async def _cutoff(request, kind):
    body = _body(request)
    cutoff, wait = state.next_cutoff(kind, body.get("user_id"))
    await asyncio.sleep(wait)  # see state.next_cutoff: whole-second iat
    return JsonResponse({"cutoff": cutoff, "user_id": body.get("user_id")})


@csrf_exempt
@require_POST
async def tokens_expire(request):
    """Access tokens issued before now (optionally only {"user_id"}'s) become invalid; refresh works."""
    return await _cutoff(request, "access")


@csrf_exempt
@require_POST
async def tokens_revoke(request):
    """Access AND refresh tokens issued before now (optionally only {"user_id"}'s) become invalid."""
    return await _cutoff(request, "all")


@csrf_exempt
@require_POST
async def ws_drop(request):
    """Close every open WebSocket from the server side: {"code"?: 1000} -> {"dropped": N}.

    daphne sends close frames through autobahn, which only allows 1000 or 3000-4999 (no 1001/1012).
    """
    body = _body(request)
    code = int(body.get("code", 1000))
    if code != 1000 and not 3000 <= code <= 4999:
        return _bad("code must be 1000 or 3000-4999 (autobahn refuses the others)")
    sockets = list(state.open_sockets.items())
    for conn_id, (_path, send) in sockets:
        state.open_sockets.pop(conn_id, None)
        state.count_server_close(code)
        await send({"type": "websocket.close", "code": code})
    return JsonResponse({"dropped": len(sockets)})


@csrf_exempt
@require_POST
def sse_drop(request):
    """End every open SSE stream (they notice within a second) -> {"generation": N}."""
    state.sse_generation += 1
    return JsonResponse({"generation": state.sse_generation})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def stats(request):
    """GET: counters (see README). POST (or GET ?reset=1): reset them after reading."""
    snapshot = state.snapshot()
    if request.method == "POST" or request.GET.get("reset") == "1":
        state.reset_stats()
    return JsonResponse(snapshot)


@csrf_exempt
@require_POST
def reset(request):
    """Delete all notifications and dashboard samples, restore config, cutoffs and stats. Users stay."""
    NotificacionAdmin.objects.all().delete()
    Notificacion.objects.all().delete()
    for model in (LecturaSensor, LecturaRitmo, Deseo):
        model.objects.all().delete()
    state.reset_all()
    return JsonResponse({"status": "ok"})
