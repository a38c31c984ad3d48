"""Celery tasks for notifications: thin, they take ids or a moment, call a service, retry with backoff."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .digests import digests_send
from .emails import invitation_emails_send, notification_emails_send

# A mail server that is down is retried at 30 s, then at most one broker visibility timeout apart
# (a minute by default: a retry waiting longer would be handed out again meanwhile), jittered so that
# many queued tasks do not all return at once, for about a day in all.
RETRY_WAIT_MAX = max(30, settings.CELERY_VISIBILITY_TIMEOUT)
RETRY = {
    "autoretry_for": (OSError,),  # smtplib.SMTPException and socket errors are OSErrors
    "retry_backoff": 30,
    "retry_backoff_max": RETRY_WAIT_MAX,
    "retry_jitter": True,
    "max_retries": 24 * 3600 // RETRY_WAIT_MAX,
}


@shared_task(acks_late=True, **RETRY)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send the e-mails of these notifications that are due now and not sent yet; safe to run twice."""
    return notification_emails_send(notification_ids=notification_ids)


@shared_task(acks_late=True, **RETRY)
def send_daily_digests() -> str:
    """Send today's daily digests (beat runs it each morning); safe to run twice a day."""
    return digests_send(now=timezone.now()).summary()


@shared_task(acks_late=True, **RETRY)
def send_invitation_emails(invitation_ids: list[int]) -> int:
    """Send the meeting invitations (and cancellations) of these rows not sent yet; safe to run twice."""
    return invitation_emails_send(invitation_ids=invitation_ids)
