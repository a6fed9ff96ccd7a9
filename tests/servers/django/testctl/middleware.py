"""Counts HTTP requests (not /__test/ ones) by method, path and status for /__test/stats/, and
records the tokens the token views issue (/__test/tokens/issued/).

Sync and async capable, so the async control views never get pushed through Django's sync thread.
"""

import asyncio
import json
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from . import state


class RequestStatsMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        if _issues_tokens(request):
            time.sleep(state.wait_for_pending_cutoff())
        response = self.get_response(request)
        self._count(request, response)
        return response

    async def _acall(self, request):
        if _issues_tokens(request):
            await asyncio.sleep(state.wait_for_pending_cutoff())
        response = await self.get_response(request)
        self._count(request, response)
        return response

    @staticmethod
    def _count(request, response):
        if not request.path.startswith("/__test/"):
            state.count_http(request.method, request.path, response.status_code)
        if _issues_tokens(request) and response.status_code < 400:
            try:
                state.record_issued(json.loads(response.content))
            except (ValueError, AttributeError):
                pass


def _issues_tokens(request):
    return request.path.endswith(("/api/token/", "/api/token/refresh/"))
