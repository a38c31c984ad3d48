"""Celery tasks for administration: thin, they take ids and call a function that is safe to run twice."""
from __future__ import annotations

from celery import shared_task

from .emails import invitations_send
from .retention import retention_apply

# A mail server that is down is retried with backoff, as the notification e-mails are.
RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 30,
}


@shared_task(acks_late=True, **RETRY)
def send_invitations(user_ids: list[int]) -> int:
    """Send the set-password e-mails of these newly invited people."""
    return invitations_send(user_ids=user_ids)


@shared_task(acks_late=True, ignore_result=True)
def apply_retention() -> str:
    """Anonymise what the organisations' retention periods have passed (beat: daily); safe to run twice.

    Not retried: a batch that failed (the database or the attachments' storage away) rolled back, and the
    next day's run takes it again.
    """
    return retention_apply().summary()
