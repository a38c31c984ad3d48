"""Celery tasks for oversight: thin, they take a moment, call a service, retry with backoff."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notifications.tasks import RETRY

from .digests import psw_digests_send


@shared_task(acks_late=True, **RETRY)
def send_psw_digests() -> str:
    """Send today's PSW digests (beat runs it each morning at 07:30); safe to run twice a day."""
    return f"PSW digests: {psw_digests_send(now=timezone.now())}"
