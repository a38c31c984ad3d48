"""Timeline entries, written on purpose by the services (never by signals): one function per kind.

``timeline_entry`` is the one builder: it makes an unsaved entry of one escalation, with the state
and stage the escalation is in now. Each kind below fills in its note and parameters from what it
is given; a service saves one with ``timeline_add``, the deadline clock saves a batch with
``timeline_add_many``. Both are the one door of the timeline: each entry they save is also sent, in the same
transaction, to the webhook endpoints of the organisations whose escalation it is (``webhook_events``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from django.utils import timezone

from core import text
from core.bulk import rows_insert
from organisations.models import User

from .models import Escalation, TimelineEntry
from .webhook_events import timeline_published


class Action:
    """The timeline's action names (the API's ``timeline[].action``)."""

    RAISE = "raise"
    ARRANGE_MEETING = "arrange_meeting"
    MOVE_MEETING = "move_meeting"
    RESPOND = "respond"
    ACCEPT = "accept"
    ESCALATE = "escalate"
    SKIP = "skip"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    START_MEDIATION = "start_mediation"
    END_MEDIATION = "end_mediation"
    LOG_WITH_BOARD = "log_with_board"
    CONVENE_PANEL = "convene_panel"
    RECORD_DEBRIEF = "record_debrief"
    REASSIGN = "reassign"
    HAND_OVER = "hand_over"
    NOTE = "note"
    ATTACH = "attach"
    DEADLINE_MISSED = "deadline_missed"
    AUTO_ADVANCE = "auto_advance"
    OVERALL_DEADLINE_MISSED = "overall_deadline_missed"
    LADDER_VERSION_CHANGED = "ladder_version_changed"
    ALLOCATED_WORKER_CHANGED = "allocated_worker_changed"


# The words of the entries no action writes; an action's entry is named by its spec (``actions.logged_as``).
ACTION_LABELS = {
    Action.RAISE: "Raised",
    Action.ATTACH: "Attachment added",
    Action.DEADLINE_MISSED: "Deadline missed",
    Action.AUTO_ADVANCE: "Advanced by the clock",
    Action.HAND_OVER: "Passed on (holder away or left)",
    Action.OVERALL_DEADLINE_MISSED: "Overall timescale missed",
    Action.LADDER_VERSION_CHANGED: "Procedure edited",
    Action.ALLOCATED_WORKER_CHANGED: "Allocated worker changed",
}


def clock_words(instant: dt.datetime) -> str:
    """Say a moment as the clock's notes do, in London time: "5pm on Wednesday 11 November 2026"."""
    return text.when(instant)


# --- the builder and the two ways to save --------------------------------------------------------------
def timeline_entry(escalation: Escalation, *, action: str, from_state: str, actor: User | None = None,
                   note: str = "", params: dict[str, Any] | None = None,
                   at: dt.datetime | None = None) -> TimelineEntry:
    """Build one unsaved entry: when, who (None for the system), what, the states and the stage after it."""
    return TimelineEntry(
        escalation=escalation,
        at=at or timezone.now(),
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=escalation.state,
        stage_index=escalation.stage_index,
        note=note,
        params=params or {},
    )


def timeline_add(entry: TimelineEntry) -> TimelineEntry:
    """Append one entry built by a function below, with its webhook events (``webhook_events``)."""
    entry.save()
    timeline_published([entry])
    return entry


def timeline_add_many(entries: Sequence[TimelineEntry]) -> None:
    """Append a batch of entries in a few INSERT statements (no primary keys come back), with their webhook
    events in a few more where an organisation of theirs has an endpoint (``webhook_events``)."""
    rows_insert(TimelineEntry, [vars(entry) for entry in entries])
    timeline_published(entries)


class Climbed(Protocol):
    """The kinds that put the escalation at another stage: ``escalated``, ``skipped``, ``reopened``."""

    def __call__(self, escalation: Escalation, *, actor: User | None, from_state: str, reason: str,
                 at: dt.datetime | None = None) -> TimelineEntry: ...


# --- a person's actions --------------------------------------------------------------------------------
def raised(escalation: Escalation, *, actor: User, concern: str, at: dt.datetime | None = None,
           through: str = "") -> TimelineEntry:
    params = {"risk_level": escalation.risk_level, "category": escalation.category}
    if through:  # raised on the actor's behalf by a system (an organisation's service token)
        params["through"] = through
    return timeline_entry(escalation, action=Action.RAISE, from_state="", actor=actor, note=concern, at=at,
                          params=params)


def meeting_arranged(escalation: Escalation, *, actor: User, from_state: str,
                     meeting_at: dt.datetime) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.ARRANGE_MEETING, from_state=from_state, actor=actor,
                          note=f"Meeting on {text.when_dated(meeting_at)}",
                          params={"meeting_at": meeting_at.isoformat()})


def meeting_moved(escalation: Escalation, *, actor: User, from_state: str,
                  meeting_at: dt.datetime) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.MOVE_MEETING, from_state=from_state, actor=actor,
                          note=f"Meeting moved to {text.when_dated(meeting_at)}",
                          params={"meeting_at": meeting_at.isoformat()})


def responded(escalation: Escalation, *, actor: User, from_state: str, rationale: str) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.RESPOND, from_state=from_state, actor=actor, note=rationale,
                          params={"decision": escalation.decision, "final": escalation.stage.final})


def accepted(escalation: Escalation, *, actor: User, from_state: str) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.ACCEPT, from_state=from_state, actor=actor,
                          note=escalation.agreed_outcome,
                          params={"outstanding_actions": escalation.outstanding_actions})


def _climbed(escalation: Escalation, action: str, *, actor: User | None, from_state: str, reason: str,
             at: dt.datetime | None) -> TimelineEntry:
    return timeline_entry(escalation, action=action, from_state=from_state, actor=actor, note=reason, at=at,
                          params={"to_stage": escalation.stage_index,
                                  "holder": escalation.holder.username if escalation.holder else None})


def escalated(escalation: Escalation, *, actor: User | None, from_state: str, reason: str,
              at: dt.datetime | None = None) -> TimelineEntry:
    """Climbed to the next stage (after ``stage_enter``): the stage and holder it reached."""
    return _climbed(escalation, Action.ESCALATE, actor=actor, from_state=from_state, reason=reason, at=at)


def skipped(escalation: Escalation, *, actor: User | None, from_state: str, reason: str,
            at: dt.datetime | None = None) -> TimelineEntry:
    return _climbed(escalation, Action.SKIP, actor=actor, from_state=from_state, reason=reason, at=at)


def reopened(escalation: Escalation, *, actor: User | None, from_state: str, reason: str,
             at: dt.datetime | None = None) -> TimelineEntry:
    return _climbed(escalation, Action.REOPEN, actor=actor, from_state=from_state, reason=reason, at=at)


def withdrawn(escalation: Escalation, *, actor: User, from_state: str, reason: str) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.WITHDRAW, from_state=from_state, actor=actor, note=reason)


def mediation_started(escalation: Escalation, *, actor: User, from_state: str, mediator: User) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.START_MEDIATION, from_state=from_state, actor=actor,
                          note=f"Mediator: {mediator.display_name}", params={"mediator": mediator.username})


def mediation_ended(escalation: Escalation, *, actor: User, from_state: str, note: str,
                    agreed: bool) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.END_MEDIATION, from_state=from_state, actor=actor, note=note,
                          params={"agreed": agreed})


def logged_with_board(escalation: Escalation, *, actor: User, reason: str,
                      kind: str = "serious_concern") -> TimelineEntry:
    """Logged with the QA&P chair as ``kind`` (Wiltshire 3a ``serious_concern``, 3b ``unresolved``): the state
    is unchanged."""
    return timeline_entry(escalation, action=Action.LOG_WITH_BOARD, from_state=escalation.state, actor=actor,
                          note=reason, params={"kind": kind})


def panel_convened(escalation: Escalation, *, actor: User, from_state: str, members: list[User],
                   meeting_at: dt.datetime) -> TimelineEntry:
    """The QA&P chair convened the resolution panel: who sits on it and when it meets."""
    names = ", ".join(member.display_name for member in members)
    return timeline_entry(escalation, action=Action.CONVENE_PANEL, from_state=from_state, actor=actor,
                          note=f"Panel: {names}. Meeting on {text.when_dated(meeting_at)}.",
                          params={"members": [member.username for member in members],
                                  "meeting_at": meeting_at.isoformat()})


def debrief_recorded(escalation: Escalation, *, actor: User, note: str) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.RECORD_DEBRIEF, from_state=escalation.state, actor=actor,
                          note=note)


def reassigned(escalation: Escalation, *, actor: User, reason: str, previous_holder: User | None) -> TimelineEntry:
    """Given to its new holder (already set); the state is unchanged."""
    return timeline_entry(escalation, action=Action.REASSIGN, from_state=escalation.state, actor=actor, note=reason,
                          params={"from": previous_holder.username if previous_holder else None,
                                  "to": escalation.holder.username if escalation.holder else None})


def handed_over(escalation: Escalation, *, reason: str, previous_holder: User, as_cover: bool,
                absence_id: int | None = None, at: dt.datetime | None = None) -> TimelineEntry:
    """The system passed the stage on from a holder who is away or has left (new holder already set)."""
    holder = escalation.holder
    assert holder is not None, "a stage is handed over to someone"
    to = f"{holder.display_name}, who covers" if as_cover else holder.display_name
    return timeline_entry(escalation, action=Action.HAND_OVER, from_state=escalation.state, at=at,
                          note=f"{reason} The stage passes to {to}; the deadline does not change.",
                          params={"from": previous_holder.username, "to": holder.username, "cover": as_cover,
                                  "absence": absence_id})


def allocated_worker_changed(escalation: Escalation, *, previous: User | None, worker: User | None,
                             at: dt.datetime | None = None) -> TimelineEntry:
    """The case was allocated to another worker after the raise (Stoke 4): the new worker is the party who
    may act at the informal stage and is told of each step; the previous one no longer is (actor: the system)."""
    if worker is not None:
        note = f"The case is now allocated to {worker.display_name}, who is a party to this escalation from now on"
        note += f" in place of {previous.display_name}." if previous is not None else "."
    else:
        note = (f"The case is no longer allocated to {previous.display_name}." if previous is not None
                else "The case has no allocated worker.")
    return timeline_entry(escalation, action=Action.ALLOCATED_WORKER_CHANGED, from_state=escalation.state, at=at,
                          note=note, params={"from": previous.username if previous is not None else None,
                                             "to": worker.username if worker is not None else None})


def note_added(escalation: Escalation, *, actor: User, note: str) -> TimelineEntry:
    return timeline_entry(escalation, action=Action.NOTE, from_state=escalation.state, actor=actor, note=note)


def attachment_added(escalation: Escalation, *, actor: User, attachment_id: int, name: str, size: int,
                     description: str = "") -> TimelineEntry:
    return timeline_entry(escalation, action=Action.ATTACH, from_state=escalation.state, actor=actor,
                          note=description or name, params={"attachment": attachment_id, "name": name, "size": size})


# --- the deadline clock's (actor empty: the system) ----------------------------------------------------
def _no_meeting_in_time(missed: dt.datetime, late_meeting: dt.datetime | None, where: str = "") -> str:
    """How the deadline passed: with no meeting arranged, or with one that does not count (CONTRACT 8.4)."""
    deadline = f"The deadline of {clock_words(missed)}{where}"
    if late_meeting is None:
        return f"{deadline} passed with no meeting arranged"
    if late_meeting > missed:
        return (f"{deadline} passed: the meeting was arranged for {clock_words(late_meeting)}, after the deadline, "
                "so it does not stop the clock")
    return f"{deadline} passed: the meeting was arranged only after the deadline, so it does not stop the clock"


def deadline_missed(escalation: Escalation, *, missed: dt.datetime, rule: str, next_stage_name: str | None,
                    at: dt.datetime, late_meeting: dt.datetime | None = None) -> TimelineEntry:
    """The stage deadline passed with no meeting arranged in time (``late_meeting``: the one arranged too late);
    ``next_stage_name`` None: the last stage."""
    passed = _no_meeting_in_time(missed, late_meeting)
    if next_stage_name is not None:
        note = (f"{passed}. The raiser may proceed to the next level ({next_stage_name}); the holder is "
                "reminded.")
    else:
        note = (f"{passed}. There is no further stage to move to: the holder, the raiser and the principal social "
                "worker are told.")
    params = {"deadline": missed.isoformat(), "rule": rule, "last_stage": next_stage_name is None}
    if late_meeting is not None:
        params["late_meeting"] = late_meeting.isoformat()
    return timeline_entry(escalation, action=Action.DEADLINE_MISSED, from_state=escalation.state, note=note, at=at,
                          params=params)


def auto_advanced(escalation: Escalation, *, from_state: str, from_stage_name: str, missed: dt.datetime,
                  at: dt.datetime, late_meeting: dt.datetime | None = None) -> TimelineEntry:
    """The clock moved it to its next stage (after ``stage_enter``): where to, and who holds it
    (``late_meeting``: a meeting arranged too late to stop the clock, CONTRACT 8.4)."""
    params: dict[str, Any] = {"to_stage": escalation.stage_index,
                              "holder": escalation.holder.username if escalation.holder is not None else None,
                              "missed_deadline": missed.isoformat()}
    if late_meeting is not None:
        params["late_meeting"] = late_meeting.isoformat()
    note = f"{_no_meeting_in_time(missed, late_meeting, f' at {from_stage_name}')}: moved to {escalation.stage.name}."
    return timeline_entry(escalation, action=Action.AUTO_ADVANCE, from_state=from_state, at=at, note=note,
                          params=params)


def overall_deadline_missed(escalation: Escalation, *, days: int | None, at: dt.datetime) -> TimelineEntry:
    """Stoke 4: the procedure's overall timescale (``days`` working days, where it counts them) passed."""
    deadline = escalation.overall_deadline
    assert deadline is not None, "only an escalation with an overall deadline can miss it"
    return timeline_entry(
        escalation, action=Action.OVERALL_DEADLINE_MISSED, from_state=escalation.state, at=at,
        note=f"The procedure's overall timescale{f' of {days} working days' if days else ''} passed at "
             f"{clock_words(deadline)}.",
        params={"overall_deadline": deadline.isoformat()},
    )


# --- the procedure's ----------------------------------------------------------------------------------
def ladder_version_changed(escalation: Escalation, *, actor: User | None, ladder_name: str, kept_version: int,
                           new_version: int, at: dt.datetime | None = None) -> TimelineEntry:
    """The procedure was edited: the escalation stays on the version it was raised on (now frozen)."""
    return timeline_entry(
        escalation, action=Action.LADDER_VERSION_CHANGED, from_state=escalation.state, actor=actor, at=at,
        note=f"{ladder_name} was edited (now version {new_version}); this escalation keeps the rules of "
             f"version {kept_version}.",
        params={"ladder": escalation.ladder_id, "version": kept_version, "current_version": new_version},
    )
