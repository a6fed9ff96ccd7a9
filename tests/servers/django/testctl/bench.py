"""/__test/smartsales/timed/: seed-000 notifications at a steady rate, each stamped with the wall clock as the
server starts sending it, for the delivery-latency benchmark (crates/aviso-bench, `django`). Test controls only
(mounted with the rest of /__test/)."""

import threading
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smartsales.models import NotificacionAdmin
from smartsales.push_service import sample_event, send_admin_notification

from .views import _bad, _body, _user

User = get_user_model()


@csrf_exempt
@require_POST
def smartsales_timed(request):
    """{"count", "rate" (per second), "user_id"? | "username"? (default admin)} -> {"started": count} at once.

    A background thread then sends `count` notifications through the seed's own send_admin_notification (the row,
    then the channel-layer group_send), one every 1/rate seconds on a fixed schedule, each with
    datos = {"t_ns": <time.time_ns() just before that call>}. The latency a client measures from the stamp thus
    includes the server's whole send path (ORM insert, Redis, daphne), the same for every client."""
    body = _body(request)
    try:
        user = _user(body)
    except User.DoesNotExist:
        return _bad("no such user", 404)
    count = int(body.get("count", 1))
    rate = float(body.get("rate", 100))
    if count < 1 or rate <= 0:
        return _bad("count >= 1 and rate > 0 are required")
    first = NotificacionAdmin.objects.count() + 1

    def send_all():
        try:
            period = 1.0 / rate
            start = time.monotonic()
            for i in range(count):
                wait = start + i * period - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                tipo, titulo, mensaje, url, _datos = sample_event(first + i)
                send_admin_notification(user, tipo, titulo, mensaje, url, {"t_ns": time.time_ns()})
        finally:
            connection.close()

    threading.Thread(target=send_all, name="timed-send", daemon=True).start()
    return JsonResponse({"started": count})
