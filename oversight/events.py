"""The audit trail of a systemic issue: one small function per kind of change, called by the services.

Each row names the actor and keeps what changed in ``params`` (ids, and the names as they were then),
so the history reads the same after people change name or leave.
"""
from __future__ import annotations

from collections.abc import Iterable

from organisations.models import User

from .models import SystemicIssue, SystemicIssueEvent, SystemicIssueEventKind


def _record(*, issue: SystemicIssue, actor: User, kind: str, **params) -> SystemicIssueEvent:
    return SystemicIssueEvent.objects.create(issue=issue, actor=actor, kind=kind, params=params)


def _person(user: User) -> dict:
    return {"id": user.pk, "name": user.display_name}


def systemic_issue_event_created(*, issue: SystemicIssue, actor: User) -> SystemicIssueEvent:
    return _record(issue=issue, actor=actor, kind=SystemicIssueEventKind.CREATED,
                   title=issue.title, issue_kind=issue.kind, status=issue.status, owner=_person(issue.owner))


def systemic_issue_event_status_changed(*, issue: SystemicIssue, actor: User, old: str) -> SystemicIssueEvent:
    return _record(issue=issue, actor=actor, kind=SystemicIssueEventKind.STATUS_CHANGED, old=old, new=issue.status)


def systemic_issue_event_owner_changed(*, issue: SystemicIssue, actor: User, old: User) -> SystemicIssueEvent:
    return _record(issue=issue, actor=actor, kind=SystemicIssueEventKind.OWNER_CHANGED,
                   old=_person(old), new=_person(issue.owner))


def systemic_issue_event_resolution_changed(*, issue: SystemicIssue, actor: User, old: str) -> SystemicIssueEvent:
    return _record(issue=issue, actor=actor, kind=SystemicIssueEventKind.RESOLUTION_CHANGED,
                   old=old, new=issue.resolution)


def systemic_issue_event_escalations_linked(*, issue: SystemicIssue, actor: User,
                                            escalation_ids: Iterable[int]) -> SystemicIssueEvent:
    return _record(issue=issue, actor=actor, kind=SystemicIssueEventKind.ESCALATIONS_LINKED,
                   escalation_ids=sorted(escalation_ids))


def systemic_issue_event_escalations_unlinked(*, issue: SystemicIssue, actor: User,
                                              escalation_ids: Iterable[int]) -> SystemicIssueEvent:
    return _record(issue=issue, actor=actor, kind=SystemicIssueEventKind.ESCALATIONS_UNLINKED,
                   escalation_ids=sorted(escalation_ids))
