"""The words of a notification: one line per kind and per part the reader plays, never a child's name.

A notification names the escalation by its number and the case by its reference. Free text that
people typed (an agreed outcome) is passed through ``redact`` first, so that the case's display
name never reaches an inbox even where someone wrote it into the outcome.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import NamedTuple

from core import text

from .models import Kind

CLOCK = "The deadline clock"  # the actor of what the clock does (CONTRACT section 5: "system")
WITHHELD = "[name withheld]"


# The clock's batches name the same few deadlines in thousands of lines: each is worded once.
@lru_cache(maxsize=4096)
def when(instant: dt.datetime | None) -> str:
    """Say a moment in words, in London time: "5pm on Tuesday 3 November 2026" (``core.text.when``)."""
    if instant is None:
        return "no deadline"
    return text.when(instant)


def redact(text: str, *, display_name: str) -> str:
    """Replace the child's display name wherever it stands as a word in ``text``."""
    name = (display_name or "").strip()
    if not name or not text:
        return text
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return pattern.sub(WITHHELD, text)


def escalation_ref(escalation) -> str:
    return f"Escalation {escalation.pk} (case {escalation.case.reference})"


def part_of(escalation, recipient) -> str:
    """The part the reader plays in the escalation: "holder", "raiser", "previous_holder" or "other"."""
    if recipient is None:
        return "other"
    if escalation.holder_id == recipient.pk:
        return "holder"
    if escalation.raised_by_id == recipient.pk:
        return "raiser"
    return "other"


class Reader(NamedTuple):
    """All a line depends on about its reader: readers with the same ``Reader`` get the same line."""

    part: str
    manages_the_raiser: bool
    is_the_mediator: bool


def reader_of(escalation, recipient) -> Reader:
    """What ``message_for`` reads about the reader of one escalation's event."""
    if recipient is None:
        return Reader("other", False, False)
    return Reader(part_of(escalation, recipient), escalation.raised_by.line_manager_id == recipient.pk,
                  escalation.mediator_id == recipient.pk)


def _written_outcome(escalation) -> str:
    """The written record of how it ended: the agreed outcome, or the final decision's rationale."""
    name = escalation.case.display_name
    if escalation.agreed_outcome:
        text = f"Agreed outcome: {redact(escalation.agreed_outcome, display_name=name)}"
        if escalation.outstanding_actions:
            pursued = redact(escalation.outstanding_actions, display_name=name)
            text += f" How outstanding issues will be pursued: {pursued}"
        return text
    if escalation.rationale:
        return (f"Final decision ({escalation.get_decision_display().lower()}): "
                f"{redact(escalation.rationale, display_name=name)}")
    return "Read the written record for the outcome."


def webhook_failing_message(*, endpoint_name: str, hours: int) -> str:
    """The line that tells an organisation's administrators an endpoint is failing (no escalation, no child)."""
    return (f"The webhook endpoint \"{endpoint_name}\" has not accepted an event for {hours} hours, so that "
            "event is marked failed and the endpoint is failing. Check the case-management system that receives "
            "it, then replay the failed events from the endpoint's delivery log.")


def message_for(kind: str, escalation, *, actor=None, recipient=None) -> str:
    """Return the in-app line for one reader of this event (the e-mail's summary too)."""
    return message_for_reader(kind, escalation, actor=actor, reader=reader_of(escalation, recipient))


def message_for_reader(kind: str, escalation, *, actor=None, reader: Reader) -> str:
    """Return the line of this event for every reader who is ``reader`` (composed once for them all)."""
    who = actor.display_name if actor is not None else CLOCK
    ref = escalation_ref(escalation)
    stage = escalation.stage.name
    due = when(escalation.stage_deadline)
    holder = escalation.holder.display_name if escalation.holder_id else "nobody yet (a manager must assign it)"
    part = reader.part
    risk = escalation.get_risk_level_display().lower()

    if kind == Kind.ESCALATION_RAISED:
        if part == "holder":
            return f"{who} raised {ref} with you at {stage}. Respond by {due}."
        return (f"{who}{', whom you manage,' if reader.manages_the_raiser else ''} raised {ref}. "
                f"{holder} holds it at {stage} and must respond by {due}.")
    if kind == Kind.PSW_ALERT:
        return (f"{ref} was raised by {who} at {risk}. It is with {holder} at {stage}, "
                f"who must respond by {due}.")
    if kind in (Kind.STAGE_ESCALATED, Kind.REOPENED):
        verb = "reopened" if kind == Kind.REOPENED else "escalated"
        if part == "holder":
            return f"{who} {verb} {ref} to you at {stage}. Respond by {due}."
        return f"{who} {verb} {ref} to {stage}. {holder} must respond by {due}."
    if kind == Kind.MEETING_ARRANGED:
        meeting = when(escalation.meeting_at) if escalation.meeting_at else "a time to be confirmed"
        return f"{who} arranged a meeting on {ref} at {meeting}."
    if kind == Kind.RESPONSE_RECORDED:
        decision = {"uphold": "upheld the original decision", "agree": "agreed with the challenge"}.get(
            escalation.decision, "recorded a decision")
        return f"{who} {decision} on {ref} at {stage}. Read the rationale, then accept it or escalate."
    if kind == Kind.DEADLINE_MISSED:
        # CONTRACT 8.4: a meeting arranged for after the deadline is recorded, but does not stop the clock.
        late = escalation.state == "meeting_arranged" and escalation.meeting_at is not None
        passed = (f"passed: the meeting arranged for {when(escalation.meeting_at)} is too late to stop the clock"
                  if late else "passed with no meeting arranged")
        if part == "raiser":
            return (f"The deadline of {due} at {stage} on {ref} {passed}. "
                    "You may proceed to the next level.")
        if part == "holder":
            return f"Reminder: {ref} awaits your response at {stage}. Its deadline of {due} has passed."
        return (f"{ref} ({risk}) missed its deadline of {due} at {stage}, held by {holder}, "
                f"with no meeting arranged{' in time' if late else ''}.")
    if kind == Kind.AUTO_ADVANCED:
        if part == "holder":
            return (f"The previous deadline passed with no meeting arranged in time, so the clock moved {ref} "
                    f"to you at {stage}. Respond by {due}.")
        return (f"The previous deadline passed with no meeting arranged in time, so the clock moved {ref} to {stage}. "
                f"{holder} must respond by {due}.")
    if kind == Kind.OVERALL_DEADLINE_MISSED:
        return f"{ref} has passed the procedure's overall timescale ({when(escalation.overall_deadline)})."
    if kind == Kind.RESOLVED:
        return f"{ref} is resolved. {_written_outcome(escalation)}"
    if kind == Kind.WITHDRAWN:
        return f"{who} withdrew {ref}. Nobody needs to respond any more."
    if kind == Kind.BOARD_LOGGED:
        return f"{who} logged {ref} with the partnership's QA&P sub-group."
    if kind == Kind.MEDIATION_STARTED:
        mediator = escalation.mediator.display_name if escalation.mediator_id else "to be named"
        if reader.is_the_mediator:
            return f"{who} started mediation on {ref} and named you the mediator."
        return f"{who} started mediation on {ref}. The mediator is {mediator}."
    if kind == Kind.MEDIATION_ENDED:
        if escalation.state == "resolved":
            return f"Mediation on {ref} ended with agreement."
        return f"Mediation on {ref} ended without agreement. It is back with {holder} at {stage}, due by {due}."
    if kind == Kind.PANEL_CONVENED:
        meeting = when(escalation.meeting_at) if escalation.meeting_at else "a time to be confirmed"
        return (f"{who} convened the resolution panel on {ref}; it meets at {meeting}. The parties add their "
                "representations as notes on the escalation.")
    if kind == Kind.ALLOCATED_WORKER_CHANGED:
        worker = escalation.case.allocated_worker
        if part == "raiser" or worker is None:
            now_with = worker.display_name if worker is not None else "nobody"
            return f"The case of {ref} is now allocated to {now_with}. {holder} holds it at {stage}, due by {due}."
        return (f"The case of {ref} is now allocated to you, so you are a party to this escalation: it is with "
                f"{holder} at {stage}, due by {due}. Read it; you are told of each step.")
    if kind == Kind.REASSIGNED:
        if part == "holder":
            return f"{who} reassigned {ref} at {stage} to you. Respond by {due}."
        return f"{who} reassigned {ref} at {stage} to {holder}, who must respond by {due}."
    if kind == Kind.DEADLINE_REMINDER:
        return f"Reminder: {ref} awaits your response at {stage} by {due}."
    return f"{ref}: {Kind(kind).label}."
