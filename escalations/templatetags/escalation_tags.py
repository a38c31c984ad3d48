"""Words and marks for the escalation pages: deadlines in words, red/amber/green, labels.

Forms render through the GOV.UK renderer (``core.forms``, ``{% load govuk %}``)."""
from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from core import text
from policies import clock

register = template.Library()

RAG_LABELS = {"red": "Overdue", "amber": "Due soon", "green": "On track", "grey": "Closed"}


def time_in_words(moment: dt.datetime) -> str:
    """Return a local time as GOV.UK writes it: 5pm, 9:30am, midday, midnight (``core.text.time_words``)."""
    return text.time_words(moment)


@register.filter
def deadline_words(moment: dt.datetime | None, today: dt.date | None = None) -> str:
    """Return "5pm on Tuesday 29 December" (Europe/London), with the year when it is not this year."""
    if moment is None:
        return ""
    return text.when(moment, today=today or clock.local(timezone.now()).date())


@register.filter
def due_words(moment: dt.datetime | None) -> str:
    """A deadline as a date, after the red/amber/green mark: "by 5pm on Friday 4 December", or, once it has
    passed, "was due by 5pm on Thursday 26 November" (never "Overdue by 5pm", which reads as an amount)."""
    if moment is None:
        return ""
    words = deadline_words(moment)
    return f"was due by {words}" if moment <= timezone.now() else f"by {words}"


@register.filter
def overall_words(moment: dt.datetime | None) -> str:
    """The overall timescale's line: "Overall by 5pm on Tuesday 8 December", or "Overall: was due by ..."."""
    if moment is None:
        return ""
    words = due_words(moment)
    return f"Overall: {words}" if words.startswith("was") else f"Overall {words}"


@register.filter
def date_words(moment: dt.datetime | None) -> str:
    """Return "Tuesday 29 December 2026 at 5pm" for the timeline and the written record."""
    return text.when_dated(moment)


@register.inclusion_tag("escalations/includes/rag.html")
def rag(escalation) -> dict:
    """The red/amber/green mark of ``Escalation.rag_status`` with its words."""
    status = escalation.rag_status()
    return {"status": status, "label": RAG_LABELS[status], "deadline": escalation.current_deadline}


@register.filter
def stage_name(ladder, index: int) -> str:
    """The name of a ladder's stage by index (the timeline records indexes)."""
    return ladder.stage(index).name if ladder.has_stage(index) else f"Stage {index}"


@register.filter
def state_label(value: str) -> str:
    from escalations.models import State

    return State(value).label if value in State.values else value


@register.filter
def decision_label(value: str) -> str:
    return {"agree": "Agreed with the challenge: the decision changes",
            "uphold": "Upheld the original decision"}.get(value, value)


@register.filter
def responsible_label(stage) -> str:
    """Who holds a stage: a role, or a tier of the receiving organisation."""
    from organisations.models import Role, Tier

    if stage.role:
        return Role(stage.role).label if stage.role in Role.values else stage.role
    label = Tier(stage.tier).label if stage.tier in Tier.values else stage.tier
    where = " of the receiving organisation" if stage.in_receiving_organisation else ""
    return f"{label} tier{where}"


@register.filter
def person(user) -> str:
    """Name, role and organisation; "the system (deadline clock)" for the clock's entries."""
    if user is None:
        return "The system (deadline clock)"
    where = user.organisation or user.partnership
    return f"{user.display_name} ({user.get_role_display()}{', ' + where.name if where else ''})"


@register.filter
def working_days_words(days: int) -> str:
    if days == 0:
        return "the same working day"
    return f"{days} working day{'s' if days != 1 else ''}"
