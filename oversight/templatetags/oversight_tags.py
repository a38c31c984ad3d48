"""Template words for the oversight pages: a systemic issue's history in sentences."""
from __future__ import annotations

from django import template

from oversight.models import SystemicIssueEvent, SystemicIssueEventKind, SystemicIssueKind, SystemicIssueStatus

register = template.Library()


KIND_LABELS = dict(SystemicIssueKind.choices)
STATUS_LABELS = dict(SystemicIssueStatus.choices)


def _status(value: str) -> str:
    return STATUS_LABELS.get(value, value)


def _numbers(ids: list[int]) -> str:
    return ", ".join(f"#{pk}" for pk in ids)


@register.filter
def systemic_event_words(event: SystemicIssueEvent) -> str:
    """Say what one change did: "Status changed from Open to In progress"."""
    params, kind = event.params, event.kind
    if kind == SystemicIssueEventKind.CREATED:
        kind_label = KIND_LABELS.get(params["issue_kind"], params["issue_kind"])
        return f"Recorded ({kind_label}), owned by {params['owner']['name']}"
    if kind == SystemicIssueEventKind.STATUS_CHANGED:
        return f"Status changed from {_status(params['old'])} to {_status(params['new'])}"
    if kind == SystemicIssueEventKind.OWNER_CHANGED:
        return f"Owner changed from {params['old']['name']} to {params['new']['name']}"
    if kind == SystemicIssueEventKind.RESOLUTION_CHANGED:
        if not params["new"]:
            return "Resolution removed"
        return f"Resolution {'changed' if params['old'] else 'recorded'}: {params['new']}"
    if kind == SystemicIssueEventKind.ESCALATIONS_LINKED:
        ids = params["escalation_ids"]
        return f"Escalation{'s' if len(ids) != 1 else ''} {_numbers(ids)} linked"
    if kind == SystemicIssueEventKind.ESCALATIONS_UNLINKED:
        ids = params["escalation_ids"]
        return f"Escalation{'s' if len(ids) != 1 else ''} {_numbers(ids)} unlinked"
    return event.get_kind_display()
