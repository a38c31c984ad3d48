"""The clock's heartbeat: the sweep task records each run; readiness asks how old the last one is."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import ClockHeartbeat

SWEEP = "sweep"


def clock_heartbeat_record(*, name: str = SWEEP, now: dt.datetime | None = None) -> None:
    """Record that the job ``name`` has just run to its end (one upsert)."""
    ClockHeartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now()})


def clock_heartbeat_age(*, name: str = SWEEP, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long ago the job ``name`` last ran to its end; None if it never has."""
    at = ClockHeartbeat.objects.filter(name=name).values_list("at", flat=True).first()
    if at is None:
        return None
    return (now or timezone.now()) - at
