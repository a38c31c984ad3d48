"""Turn an escalation's events into notifications: in the app at once, by e-mail after commit."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .models import Kind, Notification
from .recipients import recipients_for

# Kinds that always go by e-mail at once, whatever the person's digest preference.
ALWAYS_URGENT = {Kind.PSW_ALERT, Kind.AUTO_ADVANCED, Kind.OVERALL_DEADLINE_MISSED}


def is_urgent(kind: str, escalation) -> bool:
    if kind in ALWAYS_URGENT:
        return True
    return kind == Kind.DEADLINE_MISSED and escalation is not None and escalation.risk_level != "standard"


def dedupe_key(*, recipient_id: int, kind: str, escalation_id: int | None, stage_index: int | None,
               deadline: dt.datetime | None, discriminator: str = "") -> str:
    stamp = deadline.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") if deadline else "-"
    return f"{recipient_id}:{kind}:{escalation_id or '-'}:{stage_index if stage_index is not None else '-'}:{stamp}:{discriminator}"[:255]


def message_for(kind: str, escalation, *, actor=None) -> str:
    """A short line naming the escalation and case reference, never the child's name."""
    from django.template.defaultfilters import date as date_filter

    who = actor.display_name if actor is not None else "The deadline clock"
    ref = f"Escalation {escalation.pk} (case {escalation.case.reference})"
    stage = escalation.stage.name
    due = date_filter(timezone.localtime(escalation.stage_deadline), "ga \\o\\n l j F")
    lines = {
        Kind.ESCALATION_RAISED: f"{ref} was raised by {who} and awaits your response at {stage} by {due}.",
        Kind.PSW_ALERT: f"{ref} was raised at {escalation.get_risk_level_display().lower()}: {stage}, due by {due}.",
        Kind.STAGE_ESCALATED: f"{ref} was escalated by {who} to {stage}, due by {due}.",
        Kind.MEETING_ARRANGED: f"{who} arranged a meeting on {ref}.",
        Kind.RESPONSE_RECORDED: f"{who} recorded a decision on {ref}: {escalation.get_decision_display() or 'see the record'}.",
        Kind.DEADLINE_MISSED: f"The deadline at {stage} on {ref} has passed with no meeting arranged. The raiser may proceed to the next level.",
        Kind.AUTO_ADVANCED: f"{ref} was moved by the clock to {stage} because the deadline passed; now due by {due}.",
        Kind.OVERALL_DEADLINE_MISSED: f"{ref} has passed the procedure's overall timescale.",
        Kind.RESOLVED: f"{ref} is resolved. Read the written record of the outcome.",
        Kind.WITHDRAWN: f"{ref} was withdrawn by {who}.",
        Kind.REOPENED: f"{ref} was reopened by {who} at {stage}, due by {due}.",
        Kind.BOARD_LOGGED: f"{ref} was logged with the QA&P sub-group by {who}.",
        Kind.MEDIATION_STARTED: f"Mediation started on {ref}.",
        Kind.MEDIATION_ENDED: f"Mediation ended on {ref}.",
        Kind.REASSIGNED: f"{ref} at {stage} is now held by {escalation.holder.display_name if escalation.holder_id else 'nobody'}.",
        Kind.DEADLINE_REMINDER: f"{ref} at {stage} is due by {due}.",
    }
    return lines.get(kind, f"{ref}: {Kind(kind).label}.")


def notification_create_many(*, kind: str, escalation, recipients, actor=None, discriminator: str = "",
                             message: str | None = None, deadline: dt.datetime | None = None) -> list[Notification]:
    """Create one notification per recipient; a duplicate key is refused by the database and skipped.

    Returns the notifications that are new. E-mail for them is queued after the transaction commits.
    """
    if not recipients:
        return []
    deadline = deadline if deadline is not None else (escalation.stage_deadline if escalation else None)
    stage_index = escalation.stage_index if escalation else None
    text = message or message_for(kind, escalation, actor=actor)
    urgent = is_urgent(kind, escalation)
    now = timezone.now()
    rows = [
        Notification(
            recipient=user, kind=kind, escalation=escalation, stage_index=stage_index, deadline=deadline,
            dedupe_key=dedupe_key(recipient_id=user.pk, kind=kind, escalation_id=escalation.pk if escalation else None,
                                  stage_index=stage_index, deadline=deadline, discriminator=discriminator),
            message=text, urgent=urgent, created_at=now,
        )
        for user in recipients
    ]
    keys = [row.dedupe_key for row in rows]
    existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [row for row in rows if row.dedupe_key not in existing]
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
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
