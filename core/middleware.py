"""The request log, the session timeouts, and no-store on answers that may hold case data."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from .logging import PROBE_PATHS

logger = logging.getLogger("escalation_tracker.request")


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
        level = logging.DEBUG if request.path in PROBE_PATHS else logging.INFO  # probes: every second or two
        logger.log(
            level, "%s %s %s %.1f ms", request.method, request.path, response.status_code, duration_ms,
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": duration_ms, "user_id": user_id},
        )
        return response


# --- Session timeouts ---------------------------------------------------------------------------------
# The session's record of when the person signed in and when they were last seen (seconds since the epoch).
SESSION_STARTED_KEY = "_signed_in_at"
SESSION_SEEN_KEY = "_seen_at"
# The last-seen time is written at most this often (seconds), so that most requests write nothing.
SEEN_RESOLUTION = 60


def session_timeouts_start(sender, request, user, **kwargs) -> None:
    """On sign-in (Django's ``user_logged_in``): the idle and absolute clocks start now."""
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[SESSION_STARTED_KEY] = now
        session[SESSION_SEEN_KEY] = now


def session_timed_out(session, now: float) -> str | None:
    """Why this signed-in session has ended (the idle or the absolute timeout), or None while it lasts."""
    from django.conf import settings

    idle, absolute = settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT
    started = session.get(SESSION_STARTED_KEY)
    seen = session.get(SESSION_SEEN_KEY, started)
    if absolute and (started is None or now - started >= absolute):
        hours = absolute / 3600
        return (f"You were signed out because you signed in more than {hours:g} hours ago. "
                "Sign in again to carry on.")
    if idle and (seen is None or now - seen >= idle):
        minutes = idle / 60
        return (f"You were signed out after {minutes:g} minutes without activity. "
                "Sign in again to carry on.")
    return None


class SessionTimeoutMiddleware:
    """Sign a person out after ``SESSION_IDLE_TIMEOUT`` seconds without a request, and after
    ``SESSION_ABSOLUTE_TIMEOUT`` seconds from signing in, whatever they do (0 turns either off).

    The request then goes on as anonymous: a page sends the person to sign in (with a message saying
    why), the API answers as to anyone without credentials. A session without a sign-in time (one
    from before this check) has no known age, so it ends. API tokens have their own expiry.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and (settings.SESSION_IDLE_TIMEOUT or settings.SESSION_ABSOLUTE_TIMEOUT)):
            now = time.time()
            reason = session_timed_out(request.session, now)
            if reason is not None:
                from django.contrib import auth, messages
                from django.contrib.auth.models import AnonymousUser

                auth.logout(request)
                request.user = AnonymousUser()
                if hasattr(request, "_messages"):
                    messages.info(request, reason)
            elif now - request.session.get(SESSION_SEEN_KEY, 0) >= SEEN_RESOLUTION:
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


# --- Caching ------------------------------------------------------------------------------------------
class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer to a signed-in person and on every API answer.

    Those are the answers that may hold case data; no browser history, back button or shared proxy
    keeps a copy. Static files are answered before this (WhiteNoise) and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            patch_cache_control(response, no_store=True, private=True, max_age=0)
            response.headers.pop("Expires", None)
        return response
