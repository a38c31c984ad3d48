"""The Celery task of outbound webhooks: thin, it sends what is due and is safe to run at any time, twice at once.

It is queued once each change that wrote an event commits (``outbox.delivery_queue``) and sent by beat every
minute (``deadlines.schedules``, installed by ``setup_clock``), which picks up every retry whose wait is over.
"""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from .delivery import deliveries_send


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=5,
             retry_backoff_max=60, retry_jitter=True, max_retries=5)
def deliver_webhooks() -> str:
    """Send every delivery that is due now (claimed, so two runs at once never send one twice)."""
    return deliveries_send().summary()
