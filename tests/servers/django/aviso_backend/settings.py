"""Settings of the Aviso test backend: seeds 000 (smartsales), 001 (wearable) and 002 (dashboard).

Everything a test may want to change comes from the environment (serve.py sets most of it):
  AVISO_DB              sqlite file (serve.py: a fresh temp dir per run)
  REDIS_URL             channel layer Redis, e.g. redis://127.0.0.1:6390/0
  CHANNELS_PREFIX       Redis key prefix, so servers sharing one Redis never see each other's groups
  CHANNELS_CAPACITY     the channel layer's capacity per channel (channels_redis's default: 100);
                        group_send drops, without a word, what arrives while a channel holds this many
  TEST_CONTROLS         "1" (default) mounts /__test/; "0" hides it
  ALLOWED_HOSTS         comma list; also what AllowedHostsOriginValidator accepts as Origin
  JWT_ACCESS_SECONDS, JWT_REFRESH_SECONDS, JWT_ROTATE_REFRESH ("1" rotates refresh tokens)
  DASHBOARD_REJECT      "close_before_accept" (seed 002 as written: HTTP 403) or "accept_then_close" (4001)
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "aviso-test-backend-not-a-secret-0123456789abcdef")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
TEST_CONTROLS = os.environ.get("TEST_CONTROLS", "1") == "1"

INSTALLED_APPS = [
    "daphne",  # seed 001/002: first, so runserver would be daphne's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "channels",
    "django_eventstream",
    "smartsales",
    "wearable",
    "dashboard",
    "testctl",
]

MIDDLEWARE = ["testctl.middleware.RequestStatsMiddleware"]

ROOT_URLCONF = "aviso_backend.urls"
ASGI_APPLICATION = "aviso_backend.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("AVISO_DB", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {"timeout": 20},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")],
            # channels_redis's default capacity (100 per channel) unless CHANNELS_CAPACITY says
            # otherwise: bursts above it are dropped silently, as in production, and only the REST
            # catch-up recovers them. The capacity is the sender's: a worker process's group_send
            # checks it against the receiving channel's queue.
            "prefix": os.environ.get("CHANNELS_PREFIX", "aviso-" + secrets.token_hex(4)),
            "capacity": int(os.environ.get("CHANNELS_CAPACITY", "100")),
        },
    }
}

# Test server: a fast hasher keeps token requests and user creation in the millisecond range.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = []

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=int(os.environ.get("JWT_ACCESS_SECONDS", "300"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=int(os.environ.get("JWT_REFRESH_SECONDS", "86400"))),
    "ROTATE_REFRESH_TOKENS": os.environ.get("JWT_ROTATE_REFRESH", "0") == "1",
    "UPDATE_LAST_LOGIN": False,
}

# Server-Sent Events (smartsales-sse): events stored in the database so Last-Event-ID replays them;
# a staff user reads only their own channel (smartsales/sse.py).
EVENTSTREAM_STORAGE_CLASS = "django_eventstream.storage.DjangoModelStorage"
EVENTSTREAM_CHANNELMANAGER_CLASS = "smartsales.sse.ChannelManager"

DASHBOARD_REJECT = os.environ.get("DASHBOARD_REJECT", "close_before_accept")

LANGUAGE_CODE = "es"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
