"""Liveness and readiness probes.

``/healthz/``: the process answers and reaches its database (one ``SELECT 1``). The load balancer polls
it every half second or so to take a dead or stuck instance out of rotation; it stays cheap.

``/readyz/``: everything the product needs is there: each database alias (the replica too, when
configured), the broker (Redis: a PING), and the deadline clock, whose sweep must have run to its end
within two sweep intervals (``deadlines.heartbeat``; a fresh heartbeat shows that beat, the broker and
a worker all work). 200 when all pass, else 503 naming the failing checks. It is for monitoring and
deploy gates, not the load balancer: a stopped beat makes every instance "not ready" at once, which
should page someone, not take the site down.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from deadlines.heartbeat import clock_heartbeat_age

logger = logging.getLogger(__name__)

# How long one probe may wait for Redis before calling it down (the prober's own timeout is longer).
BROKER_TIMEOUT_SECONDS = 2.0


class CheckFailed(Exception):
    """A readiness check's failure, in words for the operator."""


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _databases() -> dict:
    answers = {}
    for alias in settings.READYZ_DATABASES:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as error:
            words = str(error).strip().splitlines()
            raise CheckFailed(f"{alias}: {words[0] if words else type(error).__name__}") from error
        answers[alias] = "ok"
    return answers


def _broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
                                      socket_timeout=BROKER_TIMEOUT_SECONDS)
        try:
            client.ping()
        except redis.RedisError as error:
            raise CheckFailed(f"Redis at {_without_password(url)}: {error}") from error
        finally:
            client.close()
        return {"broker": "redis", "url": _without_password(url)}
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        if not folder.is_dir():
            raise CheckFailed(f"the broker's folder {folder} is missing")
        return {"broker": "filesystem", "folder": str(folder)}
    return {"broker": url.split(":", 1)[0]}


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        rest = "…@" + rest.rpartition("@")[2]
    return f"{scheme}://{rest}"


def _clock() -> dict:
    limit = dt.timedelta(seconds=2 * settings.DEADLINE_SWEEP_SECONDS)
    try:
        age = clock_heartbeat_age(now=timezone.now())
    except DatabaseError as error:
        raise CheckFailed(f"the heartbeat could not be read: {error}") from error
    if age is None:
        raise CheckFailed("the deadline sweep has not run yet (is beat running, with a worker?)")
    if age > limit:
        raise CheckFailed(f"the deadline sweep last ran {age.total_seconds():.0f} s ago; "
                          f"the limit is {limit.total_seconds():.0f} s (two sweep intervals)")
    return {"last_sweep_seconds_ago": round(age.total_seconds(), 1), "limit_seconds": limit.total_seconds()}


CHECKS: dict[str, Callable[[], dict]] = {"database": _databases, "broker": _broker, "clock": _clock}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Run every readiness check; 200 if all pass, else 503 with the failing ones named."""
    checks: dict[str, dict] = {}
    failing = []
    for name, check in CHECKS.items():
        try:
            checks[name] = {"ok": True, **check()}
        except CheckFailed as failure:
            checks[name] = {"ok": False, "error": str(failure)}
            failing.append(name)
    status = 503 if failing else 200
    if failing:
        logger.warning("not ready: %s", "; ".join(f"{name}: {checks[name]['error']}" for name in failing),
                       extra={"failing": ",".join(failing)})
    return JsonResponse({"status": "not ready" if failing else "ready", "failing": failing, "checks": checks},
                        status=status)
