"""Each PSW's daily list of what is overdue in their organisation (the ``psw_digest`` notification).

``psw_digests_send`` runs once a day from Celery beat (``oversight.tasks.send_psw_digests``) and is
safe to run again the same day: a PSW gets at most one ``psw_digest`` a day (its dedupe key holds
the date). The notification's e-mail is written and sent by ``notifications``, like any other.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core import text
from escalations.models import AWAITING_HOLDER, Escalation
from notifications.digests import DIGEST_BATCH_SIZE
from notifications.models import Kind, Notification
from notifications.services import notification_create_many
from organisations.models import Role, User


def _day_words(day: dt.date) -> str:
    return text.day_words(day)


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


def psw_digests_send(*, now: dt.datetime) -> int:
    """Send today's digest to each active PSW with something overdue; return how many were sent."""
    sent = 0
    psws = User.objects.filter(role=Role.PSW, is_active=True, organisation__isnull=False).select_related("organisation")
    for psw in psws.iterator(chunk_size=DIGEST_BATCH_SIZE):
        with transaction.atomic():
            if psw_digest_send(psw=psw, now=now) is not None:
                sent += 1
    return sent
