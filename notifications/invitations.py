"""Meeting invitations: each version of a meeting, for each attendee, written now and e-mailed after commit.

The caller (the escalation's door) says when a meeting is arranged or moved (``meeting_invite``) and when
its escalation's meetings end (``meetings_cancel``), and who attends; this module numbers the versions,
writes one ``Invitation`` row per person and version in the caller's transaction, and queues their e-mail
for when it commits, so a change that rolled back sends nothing (``notify_many`` does the same for
notifications). Invitations go whatever a person's digest choice: a calendar entry in tomorrow's digest is
no use, and a cancellation must reach everyone who had the request.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction

from core.bulk import rows_insert
from organisations.models import User

from .calendar import CANCEL, REQUEST, Meeting, Person
from .models import Invitation

__all__ = ["meeting_invite", "meetings_cancel"]


def _person(user: User) -> Person:
    return Person(email=user.email, name=user.display_name)


def _write(meeting: Meeting, *, method: str, escalation_id: int, recipients: Sequence[User],
           now: dt.datetime) -> list[int]:
    """One row per recipient of this version; their e-mail queued once the transaction commits."""
    rows = [
        {"recipient_id": user.pk, "escalation_id": escalation_id, "uid": meeting.uid, "sequence": meeting.sequence,
         "method": method, "meeting": meeting.as_params(), "created_at": now}
        for user in recipients
    ]
    ids = rows_insert(Invitation, rows, ignore_conflicts=True, returning=True)
    if ids:
        transaction.on_commit(lambda: _queue_email(ids))
    return ids


def _queue_email(invitation_ids: list[int]) -> None:
    from .tasks import send_invitation_emails

    send_invitation_emails.delay(invitation_ids)


def meeting_invite(*, escalation: Any, uid: str, starts_at: dt.datetime, summary: str, url: str,
                   organizer: User, attendees: Iterable[User | None], now: dt.datetime) -> list[int]:
    """Send the next version of the meeting ``uid`` (METHOD:REQUEST) to its attendees; return the new rows.

    The first version is SEQUENCE 0 and each later one is one higher. Whoever had an earlier version is
    still an attendee of this one (a moved meeting reaches everyone who has it in their calendar). Only
    active people with an e-mail address are invited: an attendee is a ``mailto:`` address.
    """
    earlier = list(Invitation.objects.filter(uid=uid).values_list("sequence", "recipient_id"))
    sequence = max((number for number, _ in earlier), default=-1) + 1
    people: dict[int, User] = {}
    for user in attendees:
        if user is not None:
            people.setdefault(user.pk, user)
    missing = {recipient_id for _, recipient_id in earlier} - people.keys()
    if missing:
        people.update(User.objects.in_bulk(missing))
    invited = [user for user in people.values() if user.is_active and user.email]
    meeting = Meeting(uid=uid, sequence=sequence, starts_at=starts_at, summary=summary, url=url,
                      organizer=_person(organizer), attendees=tuple(_person(user) for user in invited))
    return _write(meeting, method=REQUEST, escalation_id=escalation.pk, recipients=invited, now=now)


def meetings_cancel(*, escalation_ids: Iterable[int], now: dt.datetime) -> list[int]:
    """Cancel the meetings of these escalations that are still to come (METHOD:CANCEL); return the new rows.

    A meeting is cancelled where its latest version is a request and it has not begun: each of that
    version's recipients gets the cancellation, with the same UID and the next SEQUENCE. A meeting that
    has begun or is over is left as it was: it took place, and people's calendars keep it.
    """
    ids = set(escalation_ids)
    if not ids:
        return []
    latest: dict[str, list[Invitation]] = {}
    for row in (Invitation.objects.filter(escalation_id__in=ids).select_related("recipient")
                .order_by("uid", "-sequence", "pk")):
        rows = latest.setdefault(row.uid, [row])
        if row is not rows[0] and row.sequence == rows[0].sequence:
            rows.append(row)
    written: list[int] = []
    for rows in latest.values():
        last = rows[0]
        meeting = Meeting.from_params(last.meeting)
        if last.method != REQUEST or meeting.starts_at <= now:
            continue
        recipients = [row.recipient for row in rows if row.recipient.is_active and row.recipient.email]
        written += _write(replace(meeting, sequence=meeting.sequence + 1), method=CANCEL,
                          escalation_id=last.escalation_id, recipients=recipients, now=now)
    return written
