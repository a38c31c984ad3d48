"""The calendar side of an escalation's meetings: whom the door invites, and when it cancels.

``escalations.services`` calls these inside its transaction, right after the change they follow:

- a meeting arranged (``arrange-meeting``) or a panel convened (``convene-panel``) sends the stage's meeting
  to its parties as a calendar request; arranging again at the same stage moves it: the same UID, the next
  SEQUENCE, sent to everyone invited before and everyone the rule names now;
- the escalation leaving the stage (escalated, skipped, advanced by the clock, back to the stage afresh
  after mediation) or ending (resolved, withdrawn) cancels a meeting still to come.

The rows, their numbering and their e-mail are ``notifications.invitations``'.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from notifications.calendar import meeting_uid
from notifications.emails import escalation_link
from notifications.invitations import meeting_invite, meetings_cancel
from organisations.models import User

from .models import Escalation
from .recipients import recipients_for


def meeting_summary(escalation: Escalation) -> str:
    """The calendar entry's title: the escalation's number and stage, never the child or the case."""
    return f"Escalation meeting: escalation {escalation.pk} stage {escalation.stage_index} ({escalation.stage.name})"


def meeting_invitation_send(escalation: Escalation, *, actor: User, kind: str, now: dt.datetime) -> list[int]:
    """Invite the parties to the escalation's meeting (``meeting_at``) at its stage, organised by ``actor``.

    The attendees: the raiser, the holder, the organiser and everyone the notification of ``kind`` reaches
    (``recipients.RECIPIENTS``: for a panel, its members and the participants), as far as each may open the
    escalation; only those with an e-mail address.
    """
    if escalation.meeting_at is None:
        raise ValueError("There is no meeting to invite anyone to.")
    attendees = [escalation.raised_by, escalation.holder, actor, *recipients_for(kind, escalation)]
    return meeting_invite(
        escalation=escalation,
        uid=meeting_uid(escalation_id=escalation.pk, stage_index=escalation.stage_index,
                        stage_started_at=escalation.stage_started_at),
        starts_at=escalation.meeting_at, summary=meeting_summary(escalation), url=escalation_link(escalation.pk),
        organizer=actor, attendees=attendees, now=now,
    )


def meeting_invitations_cancel(escalation: Escalation, *, had: dt.datetime | None, now: dt.datetime) -> list[int]:
    """Cancel the escalation's meeting where it had one still to come (``had``: its ``meeting_at`` before the
    change); nothing is read where it had none."""
    if had is None or had <= now:
        return []
    return meetings_cancel(escalation_ids=[escalation.pk], now=now)


def meeting_invitations_cancel_many(escalation_ids: Iterable[int], *, now: dt.datetime) -> list[int]:
    """Cancel the meetings still to come of a batch (the clock's advances past a late meeting), in one read."""
    return meetings_cancel(escalation_ids=escalation_ids, now=now)
