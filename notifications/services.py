"""Turn an escalation's events into notifications: in the app at once, by e-mail after commit."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import EmailFrequency, Kind, Notification, Preference
from .recipients import SERIOUS_RISK_LEVELS, recipients_for
from .texts import message_for

__all__ = [
    "ALWAYS_URGENT", "dedupe_key", "is_urgent", "message_for", "notification_create_many",
    "notification_mark_all_read", "notification_mark_read", "notify", "preference_set",
]

# Kinds that always go by e-mail at once, whatever the person's digest preference: the PSW's alert
# (Bexley 5.3, 5.5) and the clock's moves and missed timescales.
ALWAYS_URGENT = {Kind.PSW_ALERT, Kind.AUTO_ADVANCED, Kind.OVERALL_DEADLINE_MISSED}


def is_urgent(kind: str, escalation) -> bool:
    """Say whether this kind of event must reach its readers at once, digest or not."""
    if kind in ALWAYS_URGENT:
        return True
    return kind == Kind.DEADLINE_MISSED and escalation is not None and escalation.risk_level in SERIOUS_RISK_LEVELS


def dedupe_key(*, recipient_id: int, kind: str, escalation_id: int | None, stage_index: int | None,
               deadline: dt.datetime | None, discriminator: str = "") -> str:
    """Build the unique key of one event for one person: recipient, kind, escalation, stage, deadline."""
    stamp = deadline.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") if deadline else "-"
    stage = stage_index if stage_index is not None else "-"
    return f"{recipient_id}:{kind}:{escalation_id or '-'}:{stage}:{stamp}:{discriminator}"[:255]


def _may_open(user, escalation) -> bool:
    from escalations.models import Escalation

    return Escalation.objects.visible_to(user).filter(pk=escalation.pk).exists()


def notification_create_many(*, kind: str, escalation, recipients: Iterable, actor=None, discriminator: str = "",
                             message: str | None = None, deadline: dt.datetime | None = None,
                             params: dict | None = None) -> list[Notification]:
    """Create one notification per recipient; a duplicate key is refused by the database and skipped.

    People who may not open the escalation are left out. Without ``message``, each reader gets the
    line written for the part they play. Returns the notifications that are new; their e-mail is
    queued once the transaction commits, so nothing leaves for a change that rolled back.
    """
    if escalation is None and message is None:
        raise ValueError("A notification that is not about one escalation needs its message.")
    people = [user for user in recipients if user is not None and user.is_active]
    if escalation is not None:
        people = [user for user in people if _may_open(user, escalation)]
    if not people:
        return []
    deadline = deadline if deadline is not None else (escalation.stage_deadline if escalation else None)
    stage_index = escalation.stage_index if escalation else None
    urgent = is_urgent(kind, escalation)
    now = timezone.now()
    rows = [
        Notification(
            recipient=user, kind=kind, escalation=escalation, stage_index=stage_index, deadline=deadline,
            dedupe_key=dedupe_key(recipient_id=user.pk, kind=kind, escalation_id=escalation.pk if escalation else None,
                                  stage_index=stage_index, deadline=deadline, discriminator=discriminator),
            message=message if message is not None else message_for(kind, escalation, actor=actor, recipient=user),
            urgent=urgent, created_at=now, params=params or {},
        )
        for user in people
    ]
    keys = [row.dedupe_key for row in rows]
    existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [row for row in rows if row.dedupe_key not in existing]
    if not fresh:
        return []
    # ignore_conflicts: a concurrent identical event that won the race keeps its row, this one adds none.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    created = list(Notification.objects.filter(dedupe_key__in=[row.dedupe_key for row in fresh]))
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: _queue_email(ids))
    return created


def notify(*, kind: str, escalation, actor=None, previous_holder=None, extra_parts=(), discriminator: str = "") -> list[Notification]:
    """Notify everyone the recipient table names for this event."""
    recipients = recipients_for(kind, escalation, actor=actor, previous_holder=previous_holder, extra_parts=extra_parts)
    return notification_create_many(
        kind=kind, escalation=escalation, recipients=recipients, actor=actor, discriminator=discriminator
    )


def _queue_email(notification_ids: list[int]) -> None:
    from .tasks import send_notification_emails

    send_notification_emails.delay(notification_ids)


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification as read (once: the first reading's time is kept)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of this person as read; return how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def notifications_mark_read_for_escalation(*, user, escalation) -> int:
    """Mark this person's unread notifications about one escalation as read: they have opened it."""
    return Notification.objects.filter(recipient=user, escalation=escalation, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_set(*, user, email_frequency: str) -> Preference:
    """Choose how this person's non-urgent notifications reach them by e-mail."""
    if email_frequency not in EmailFrequency.values:
        raise ValidationError({"email_frequency": ["Choose straight away, a daily digest or no e-mail."]})
    preference, created = Preference.objects.get_or_create(
        user=user, defaults={"email_frequency": email_frequency, "changed_at": timezone.now()}
    )
    if not created and preference.email_frequency != email_frequency:
        preference.email_frequency = email_frequency
        preference.changed_at = timezone.now()
        preference.save(update_fields=["email_frequency", "changed_at"])
    return preference
