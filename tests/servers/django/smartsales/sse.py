"""Seed 000's notifications over Server-Sent Events (django-eventstream), for the smartsales-sse preset.

    GET /api/admin/notificaciones/eventos/?token=<access>    (or Authorization: Bearer <access>)

One channel per admin, `admin-notificaciones-<user id>`; `send_admin_notification` publishes each
notification there as a `message` event whose data is the same object the WebSocket frame carries.
django-eventstream stores every event (DjangoModelStorage, in the same sqlite database), so a client
that reconnects with `Last-Event-ID` gets what it missed replayed, across server restarts too.

The JWT is checked here, before django-eventstream sees the request: no or a bad token -> 401, a
user who is not staff -> 403 (DRF's IsAdminUser), like the REST side. Test controls (testctl):
`ws_404` answers 404 here too (an SSE endpoint that is not deployed); `sse_stall` makes every open
stream stop writing while its TCP connection stays open (a buffering proxy looks exactly like that);
`sse_keepalive` (seconds) adds keep-alive comments to idle streams more often than
django-eventstream's own `keep-alive` event every 20 s, so tests can use short dead-peer timeouts;
POST /__test/sse/drop/ ends every open stream (as a proxy or a server reload would).
"""

import asyncio

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django_eventstream import send_event
from django_eventstream.channelmanager import DefaultChannelManager
from django_eventstream.views import events
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from testctl import state


def channel_for(user_id):
    return f"admin-notificaciones-{user_id}"


def publish(user_id, notification):
    """The user's SSE channel gets the notification as a stored `message` event."""
    send_event(channel_for(user_id), "message", notification)


class ChannelManager(DefaultChannelManager):
    """A staff user reads only their own channel."""

    def can_read_channel(self, user, channel):
        return bool(user and user.is_authenticated and user.is_staff and channel == channel_for(user.pk))


def _token(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):]
    return request.GET.get("token")


def _user(raw):
    try:
        token = AccessToken(raw)
        return get_user_model().objects.get(id=token["user_id"], is_active=True)
    except (TokenError, KeyError, ValueError, get_user_model().DoesNotExist):
        return None


async def _controlled(content):
    """Passes django-eventstream's stream through, with the test controls: keep-alive comments
    every `sse_keepalive` seconds while idle, silence for good once `sse_stall` is set (the
    connection stays open until the client or the server ends it), the end of the stream on
    /__test/sse/drop/."""
    generation = state.sse_generation
    chunks = content.__aiter__()
    pending = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(chunks.__anext__())
            keepalive = state.config.get("sse_keepalive")
            done, _ = await asyncio.wait([pending], timeout=keepalive or 1.0)
            if state.sse_generation != generation:
                return
            if state.config.get("sse_stall"):
                state.count_sse("stalled")
                await asyncio.Event().wait()
            if not done:
                if keepalive:
                    yield ": keep-alive\n\n"
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield chunk
    finally:
        if pending is not None:
            pending.cancel()


def eventos(request):
    state.count_sse(None, last_event_id=request.META.get("HTTP_LAST_EVENT_ID"))
    if state.config.get("ws_404"):
        state.count_sse("not_found")
        return JsonResponse({"detail": "Not found."}, status=404)
    raw = _token(request)
    user = _user(raw) if raw else None
    if user is None:
        state.count_sse("rejected")
        return JsonResponse({"detail": "Given token not valid for any token type"}, status=401)
    if not user.is_staff:
        state.count_sse("rejected")
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    request.user = user
    response = events(request, channels=[channel_for(user.pk)])
    if response.status_code == 200 and response.streaming:
        state.count_sse("accepted")
        response.streaming_content = _controlled(response.streaming_content)
    return response
