"""The daily e-mail of each digest reader's waiting notifications.

``digests_send`` runs once a day from Celery beat (``notifications.tasks.send_daily_digests``) and is
safe to run again the same day: a person gets at most one digest a day (``DigestSent`` is unique
per person and day). Each PSW's list of what is overdue is ``oversight.digests``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .emails import digest_message_build
from .models import DigestSent, EmailFrequency, Kind, Notification, Preference

# People read per database round trip: enough for a large council in a few queries, small enough
# that one batch's rows stay well within a worker's memory.
DIGEST_BATCH_SIZE = 200


@dataclass
class DigestResult:
    daily_digests: int = 0

    def summary(self) -> str:
        return f"Daily digests: {self.daily_digests}"


def daily_digest_send(*, preference: Preference, now: dt.datetime) -> int:
    """Send one person's digest of the non-urgent notifications that waited for it; return how many it lists."""
    user = preference.user
    if not user.email:
        return 0
    day = timezone.localdate(now)
    waiting = (
        Notification.objects.filter(
            recipient=user, email_sent_at__isnull=True, urgent=False,
            created_at__gte=preference.changed_at, created_at__lte=now,
        )
        .exclude(kind=Kind.PSW_DIGEST)
        .order_by("created_at", "pk")
    )
    ids = list(waiting.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                DigestSent.objects.create(recipient=user, day=day, sent_at=now, notification_count=len(ids))
        except IntegrityError:
            return 0  # today's digest has gone already
        stamp = timezone.now()
        Notification.objects.filter(pk__in=ids, email_sent_at__isnull=True).update(email_sent_at=stamp)
        claimed = list(Notification.objects.filter(pk__in=ids, email_sent_at=stamp).order_by("created_at", "pk"))
        if not claimed:
            transaction.set_rollback(True)
            return 0
        # Sent inside the transaction: if the backend fails, the claim and the day's record are undone.
        digest_message_build(recipient=user, notifications=claimed, day=day).send()
    return len(claimed)


def digests_send(*, now: dt.datetime) -> DigestResult:
    """Send today's daily digests; a second run the same day sends nothing new."""
    result = DigestResult()
    readers = (
        Preference.objects.filter(email_frequency=EmailFrequency.DAILY_DIGEST, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    for preference in readers.iterator(chunk_size=DIGEST_BATCH_SIZE):
        if daily_digest_send(preference=preference, now=now):
            result.daily_digests += 1
    return result

