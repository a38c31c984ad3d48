"""The daily e-mails: each digest reader's waiting notifications, and each PSW's overdue list.

``digests_send`` runs once a day from Celery beat (``notifications.tasks.send_daily_digests``) and is
safe to run again the same day: a person gets at most one digest a day (``DigestSent`` is unique
per person and day) and a PSW at most one ``psw_digest`` a day (its dedupe key holds the date).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalations.models import AWAITING_HOLDER, Escalation
from organisations.models import Role, User

from .emails import digest_message_build
from .models import DigestSent, EmailFrequency, Kind, Notification, Preference
from .services import notification_create_many

# People read per database round trip: enough for a large council in a few queries, small enough
# that one batch's rows stay well within a worker's memory.
DIGEST_BATCH_SIZE = 200


@dataclass
class DigestResult:
    psw_digests: int = 0
    daily_digests: int = 0

    def summary(self) -> str:
        return f"PSW digests: {self.psw_digests}; daily digests: {self.daily_digests}"


def _day_words(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _overdue_item(escalation: Escalation, now: dt.datetime) -> dict:
    stage_late = escalation.state in AWAITING_HOLDER and escalation.stage_deadline <= now
    deadline = escalation.stage_deadline if stage_late else escalation.overall_deadline
    return {
        "id": escalation.pk,
        "reference": escalation.case.reference,
        "ladder": escalation.ladder.name,
        "stage": escalation.stage.name,
        "holder": escalation.holder.display_name if escalation.holder_id else "nobody yet",
        "risk_level": escalation.risk_level,
        "why": "stage deadline passed at" if stage_late else "overall timescale passed at",
        "deadline": deadline.isoformat(),
    }


def psw_digest_send(*, psw: User, now: dt.datetime) -> Notification | None:
    """Tell one PSW what is overdue in their organisation today; nothing if nothing is, or if told already."""
    day = timezone.localdate(now)
    overdue = list(
        Escalation.objects.visible_to(psw).overdue(now=now).with_related().order_by("stage_deadline", "pk")
    )
    if not overdue:
        return None
    organisation = psw.organisation.name if psw.organisation_id else "your organisation"
    count = len(overdue)
    listed = ", ".join(f"escalation {e.pk} (case {e.case.reference})" for e in overdue[:10])
    more = f" and {count - 10} more" if count > 10 else ""
    message = (f"{count} escalation{'s are' if count != 1 else ' is'} overdue in {organisation} on "
               f"{_day_words(day)}: {listed}{more}.")
    params = {"day": day.isoformat(), "day_words": _day_words(day), "organisation": organisation,
              "overdue": [_overdue_item(e, now) for e in overdue]}
    created = notification_create_many(
        kind=Kind.PSW_DIGEST, escalation=None, recipients=[psw], message=message,
        discriminator=day.isoformat(), params=params,
    )
    return created[0] if created else None


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
    """Send today's PSW digests and daily digests; a second run the same day sends nothing new."""
    result = DigestResult()
    psws = User.objects.filter(role=Role.PSW, is_active=True, organisation__isnull=False).select_related("organisation")
    for psw in psws.iterator(chunk_size=DIGEST_BATCH_SIZE):
        with transaction.atomic():
            if psw_digest_send(psw=psw, now=now) is not None:
                result.psw_digests += 1
    readers = (
        Preference.objects.filter(email_frequency=EmailFrequency.DAILY_DIGEST, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    for preference in readers.iterator(chunk_size=DIGEST_BATCH_SIZE):
        if daily_digest_send(preference=preference, now=now):
            result.daily_digests += 1
    return result

