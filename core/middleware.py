"""The request log: one line per request, with what an operator needs and nothing about a child."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("escalation_tracker.request")

# Liveness and readiness probes come every second or two from each load balancer: logged at DEBUG.
QUIET_PATHS = frozenset({"/healthz/", "/readyz/"})


class RequestLogMiddleware:
    """Log each request's method, path, status, duration (ms) and user id once it is answered.

    The path is logged without its query string (a search box may hold a name); the person is their
    id, never their name. A request that raises is logged by Django's own handler, as a 500, after it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        logger.log(
            level, "%s %s %s %.1f ms", request.method, request.path, response.status_code, duration_ms,
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": duration_ms, "user_id": user_id},
        )
        return response
