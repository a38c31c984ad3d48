"""The kinds of event an endpoint may ask for: one for each kind of timeline entry, ``escalation.<action>``.

Written here, once, because webhooks sit below escalations and may not import them; a test
(``tests/webhooks/test_pages_services.py``) holds this list to the timeline's actions
(``escalations.events.Action``) and to the words the timeline says for each.
"""
from __future__ import annotations

PREFIX = "escalation."

# Type → what the timeline calls it, in the order an escalation usually meets them.
EVENT_TYPES: dict[str, str] = {
    "escalation.raise": "Raised",
    "escalation.arrange_meeting": "Meeting arranged",
    "escalation.move_meeting": "Meeting moved",
    "escalation.respond": "Decision recorded",
    "escalation.accept": "Outcome accepted",
    "escalation.escalate": "Escalated",
    "escalation.skip": "Stage skipped",
    "escalation.withdraw": "Withdrawn",
    "escalation.reopen": "Reopened",
    "escalation.start_mediation": "Mediation started",
    "escalation.end_mediation": "Mediation ended",
    "escalation.log_with_board": "Logged with the board",
    "escalation.convene_panel": "Panel convened",
    "escalation.record_debrief": "Debrief recorded",
    "escalation.reassign": "Reassigned",
    "escalation.hand_over": "Passed on (holder away or left)",
    "escalation.note": "Note added",
    "escalation.attach": "Attachment added",
    "escalation.deadline_missed": "Deadline missed",
    "escalation.auto_advance": "Advanced by the clock",
    "escalation.overall_deadline_missed": "Overall timescale missed",
    "escalation.ladder_version_changed": "Procedure edited",
    "escalation.allocated_worker_changed": "Allocated worker changed",
}


def event_type_label(event_type: str) -> str:
    """The words for a type, or the type itself for one this list does not know (an older event's)."""
    return EVENT_TYPES.get(event_type, event_type)
