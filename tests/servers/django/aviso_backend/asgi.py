"""ASGI entry point: HTTP to Django, WebSockets through the seeds' middleware to one URLRouter.

Layers, outermost first:
  TestControlMiddleware      counts handshakes, answers 404 in ws_404 mode, can drop sockets (tests only)
  AllowedHostsOriginValidator seeds 001/002 (and the contract for 000): no allowed Origin -> HTTP 403
  AuthMiddlewareStack        seeds 001/002 (session auth; leaves AnonymousUser without a cookie)
  JWTQueryAuthMiddleware     seed 000: ?token=<access> -> scope["user"]
  URLRouter                  all seven routes of seeds 000, 001 and 002
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aviso_backend.settings")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (after Django is set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from dashboard.routing import websocket_urlpatterns as dashboard_ws  # noqa: E402
from smartsales.middleware import JWTQueryAuthMiddleware  # noqa: E402
from smartsales.routing import websocket_urlpatterns as smartsales_ws  # noqa: E402
from testctl.asgi import TestControlMiddleware  # noqa: E402
from wearable.routing import websocket_urlpatterns as wearable_ws  # noqa: E402

websocket_app = AllowedHostsOriginValidator(
    AuthMiddlewareStack(
        JWTQueryAuthMiddleware(URLRouter(smartsales_ws + wearable_ws + dashboard_ws))
    )
)
if settings.TEST_CONTROLS:
    websocket_app = TestControlMiddleware(websocket_app)

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
