"""HTTP routes: simplejwt tokens, the REST side of each seed, and /__test/ controls when enabled."""

from django.conf import settings
from django.urls import include, path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("api/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("api/admin/notificaciones/", include("smartsales.urls")),
    path("api/notificaciones/", include("wearable.urls")),
    path("api/dashboard/", include("dashboard.urls")),
]

if settings.TEST_CONTROLS:
    urlpatterns.append(path("__test/", include("testctl.urls")))
