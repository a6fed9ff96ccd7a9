"""JWT from the query string (`?token=<access>`) for WebSocket scopes, validated by simplejwt.

A valid access token of an active user sets scope["user"]; a present but invalid, expired or revoked
token sets AnonymousUser; no token leaves scope["user"] as the inner stack set it.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken


@database_sync_to_async
def user_for_token(raw):
    try:
        token = AccessToken(raw)
        return get_user_model().objects.get(id=token["user_id"], is_active=True)
    except (TokenError, KeyError, ValueError, get_user_model().DoesNotExist):
        return AnonymousUser()


class JWTQueryAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        token = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token", [None])[0]
        if token:
            scope = dict(scope, user=await user_for_token(token))
        return await super().__call__(scope, receive, send)
