"""Tell people of an event: a notification in the app at once, an e-mail after commit.

The caller names the event and who is told, having checked that each may open what the event is
about; this app writes the rows and sends the mail.
``notify`` tells of one event, ``notify_many`` of a batch; they share one implementation.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.bulk import rows_insert
from organisations.models import User

from .models import EmailFrequency, Kind, Notification, Preference
from .texts import message_for, message_for_reader, reader_of

__all__ = [
    "ALWAYS_URGENT", "SERIOUS_RISK_LEVELS", "Event", "dedupe_key", "is_urgent", "message_for",
    "notification_create_many", "notification_mark_all_read", "notification_mark_read", "notify", "notify_many",
    "preference_set",
]

# Kinds that always go by e-mail at once, whatever the person's digest preference: the PSW's alert
# (Bexley 5.3, 5.5), the clock's moves and missed timescales, and a webhook endpoint failing for a day.
ALWAYS_URGENT = {Kind.PSW_ALERT, Kind.AUTO_ADVANCED, Kind.OVERALL_DEADLINE_MISSED, Kind.WEBHOOK_FAILING}

# The risk levels that bring in the PSW (Bexley 5.3, 5.5) and make a missed deadline urgent.
SERIOUS_RISK_LEVELS = ("significant_harm", "imminent")


def is_urgent(kind: str, escalation: Any) -> bool:
    """Say whether this kind of event must reach its readers at once, digest or not."""
    if kind in ALWAYS_URGENT:
        return True
    return kind == Kind.DEADLINE_MISSED and escalation is not None and escalation.risk_level in SERIOUS_RISK_LEVELS


def dedupe_key(*, recipient_id: int, kind: str, escalation_id: int | None, stage_index: int | None,
               deadline: dt.datetime | None, discriminator: str = "") -> str:
    """Build the unique key of one event for one person: recipient, kind, escalation, stage, deadline."""
    stamp = deadline.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S") if deadline else "-"
    stage = stage_index if stage_index is not None else "-"
    return f"{recipient_id}:{kind}:{escalation_id or '-'}:{stage}:{stamp}:{discriminator}"[:255]


@dataclass(frozen=True)
class Event:
    """One thing to tell these people of.

    ``escalation`` is the escalation it is about (None for an organisation-wide message, which then
    needs its ``message``); ``deadline`` defaults to the escalation's stage deadline. Without
    ``message``, each reader gets the line written for the part they play. ``discriminator`` tells
    apart two events that would otherwise share a key (two reminders of one deadline).
    """

    kind: str
    recipients: Sequence[User | None]
    escalation: Any = None
    actor: User | None = None
    deadline: dt.datetime | None = None
    discriminator: str = ""
    message: str | None = None
    params: dict[str, Any] | None = None


def _rows(events: Iterable[Event], now: dt.datetime) -> dict[str, dict[str, Any]]:
    """One row per person and event, by dedupe key (a key met twice in the batch is one row)."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        esc = event.escalation
        if esc is None and event.message is None:
            raise ValueError("A notification that is not about one escalation needs its message.")
        deadline = event.deadline if event.deadline is not None else (esc.stage_deadline if esc is not None else None)
        stage_index = esc.stage_index if esc is not None else None
        escalation_id = esc.pk if esc is not None else None
        urgent = is_urgent(event.kind, esc)
        # A line depends on its reader only through ``reader_of``: composed once per kind of reader.
        lines: dict[tuple, str] = {}
        for user in event.recipients:
            if user is None or not user.is_active:
                continue
            if event.message is not None:
                message = event.message
            else:
                reader = reader_of(esc, user)
                if reader not in lines:
                    lines[reader] = message_for_reader(event.kind, esc, actor=event.actor, reader=reader)
                message = lines[reader]
            key = dedupe_key(recipient_id=user.pk, kind=event.kind, escalation_id=escalation_id,
                             stage_index=stage_index, deadline=deadline, discriminator=event.discriminator)
            rows[key] = {
                "recipient_id": user.pk, "kind": event.kind, "escalation_id": escalation_id,
                "stage_index": stage_index, "deadline": deadline, "dedupe_key": key, "message": message,
                "urgent": urgent, "created_at": now, "params": event.params or {},
            }
    return rows


def notify_many(events: Iterable[Event]) -> list[int]:
    """Create the notifications of these events in bulk; queue their e-mail once the transaction commits.

    Each row carries ``dedupe_key``, so the database refuses a second one for the same person,
    event and deadline and skips it: a retried batch, a repeated event or a concurrent run adds
    nothing. One INSERT per chunk of rows the database takes; returns the ids of the rows that are
    new, and only their e-mail is queued, so nothing leaves for a change that rolled back.
    """
    rows = _rows(events, timezone.now())
    ids = rows_insert(Notification, list(rows.values()), ignore_conflicts=True, returning=True)
    if ids:
        transaction.on_commit(lambda: _queue_email(ids))
    return ids


def notify(*, kind: str, recipients: Iterable[User | None], escalation: Any = None, actor: User | None = None,
           discriminator: str = "", message: str | None = None, deadline: dt.datetime | None = None,
           params: dict[str, Any] | None = None) -> list[Notification]:
    """Tell these people of one event (see ``Event``); return the notifications that are new."""
    ids = notify_many([Event(kind=kind, recipients=list(recipients), escalation=escalation, actor=actor,
                             deadline=deadline, discriminator=discriminator, message=message, params=params)])
    if not ids:
        return []
    return list(Notification.objects.filter(pk__in=ids))


# The name the digests have always called.
notification_create_many = notify


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
