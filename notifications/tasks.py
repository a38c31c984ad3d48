"""Celery tasks for notifications: thin, they take ids or a moment, call a service, retry with backoff."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .digests import digests_send
from .emails import notification_emails_send

# A mail server that is down is retried at 30 s, 60 s, 2 min... up to an hour apart (jittered so
# that many queued tasks do not all return at once), for about a day in all.
RETRY = {
    "autoretry_for": (OSError,),  # smtplib.SMTPException and socket errors are OSErrors
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 30,
}


@shared_task(acks_late=True, **RETRY)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send the e-mails of these notifications that are due now and not sent yet; safe to run twice."""
    return notification_emails_send(notification_ids=notification_ids)


@shared_task(acks_late=True, **RETRY)
def send_daily_digests() -> str:
    """Send today's daily digests (beat runs it each morning); safe to run twice a day."""
    return digests_send(now=timezone.now()).summary()
