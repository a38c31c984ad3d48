"""E-mail for notifications, sent by the worker after the transaction that created them commits."""
from __future__ import annotations

from celery import shared_task

from .emails import notification_emails_send


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30, retry_backoff=True)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Send the e-mails of these notifications that are due now and not sent yet; safe to run twice."""
    try:
        return notification_emails_send(notification_ids=notification_ids)
    except OSError as exc:  # SMTP down: try again later
        raise self.retry(exc=exc)
