"""Timeline entries, written on purpose by the services (never by signals)."""
from __future__ import annotations

from django.utils import timezone

from .models import Escalation, TimelineEntry


class Action:
    """The timeline's action names (the API's ``timeline[].action``)."""

    RAISE = "raise"
    ARRANGE_MEETING = "arrange_meeting"
    RESPOND = "respond"
    ACCEPT = "accept"
    ESCALATE = "escalate"
    SKIP = "skip"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    START_MEDIATION = "start_mediation"
    END_MEDIATION = "end_mediation"
    LOG_WITH_BOARD = "log_with_board"
    REASSIGN = "reassign"
    NOTE = "note"
    ATTACH = "attach"
    DEADLINE_MISSED = "deadline_missed"
    AUTO_ADVANCE = "auto_advance"
    OVERALL_DEADLINE_MISSED = "overall_deadline_missed"
    LADDER_VERSION_CHANGED = "ladder_version_changed"


ACTION_LABELS = {
    Action.RAISE: "Raised",
    Action.ARRANGE_MEETING: "Meeting arranged",
    Action.RESPOND: "Decision recorded",
    Action.ACCEPT: "Outcome accepted",
    Action.ESCALATE: "Escalated",
    Action.SKIP: "Stage skipped",
    Action.WITHDRAW: "Withdrawn",
    Action.REOPEN: "Reopened",
    Action.START_MEDIATION: "Mediation started",
    Action.END_MEDIATION: "Mediation ended",
    Action.LOG_WITH_BOARD: "Logged with the board",
    Action.REASSIGN: "Reassigned",
    Action.NOTE: "Note added",
    Action.ATTACH: "Attachment added",
    Action.DEADLINE_MISSED: "Deadline missed",
    Action.AUTO_ADVANCE: "Advanced by the clock",
    Action.OVERALL_DEADLINE_MISSED: "Overall timescale missed",
    Action.LADDER_VERSION_CHANGED: "Procedure edited",
}


def timeline_record(*, escalation: Escalation, actor, action: str, from_state: str, note: str = "",
                    params: dict | None = None, at=None) -> TimelineEntry:
    """Append one entry: when, who (None for the system), what, the states and the stage after it."""
    entry = TimelineEntry(
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
    entry.save()
    return entry
