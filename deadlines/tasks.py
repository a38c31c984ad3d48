"""Celery tasks of the deadline clock: thin, they call a service that re-derives what is due, and retry.

Beat sends them (``setup_clock`` makes the schedules). They are acked late: a worker killed in the
middle of a sweep leaves its message on the broker, and the next run finds again whatever the
killed one had not committed. Nothing is ever scheduled far ahead (no ETA): each run looks at the
database as it is.
"""
from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import DatabaseError

from .heartbeat import clock_heartbeat_record
from .sweep import deadline_reminders_send, deadlines_sweep

# A database that is briefly away (a restart, a lock held too long) is retried after 5 s, 10 s,
# 20 s... at most a minute apart and five times in all: the next beat run comes soon anyway, and a
# short wait keeps the clock's actions close to the deadlines they follow.
RETRY: dict[str, Any] = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def sweep_deadlines() -> str:
    """Handle every missed stage and overall deadline once (beat: every DEADLINE_SWEEP_SECONDS).

    A sweep that ends records the clock's heartbeat, which ``/readyz`` reads.
    """
    summary = deadlines_sweep().summary()
    clock_heartbeat_record()
    return summary


@shared_task(acks_late=True, ignore_result=True, **RETRY)
def send_deadline_reminders(which: str) -> str:
    """Remind holders of deadlines to come: ``which`` is "morning" (08:00) or "lead" (the lead time)."""
    return deadline_reminders_send(which=which).summary()
