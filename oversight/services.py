"""The systemic issues register (Bexley 4.4): what the PSW sees behind many escalations.

Obstructive processes, IT problems, the workplace, working relations: each issue has a status, an
owner among the organisation's staff and, once resolved, a resolution. The organisation's PSW
records and updates them; each change writes a row of the issue's history (``events``).
"""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from core.errors import ActionNotPermitted
from core.text import TEXT_LIMIT
from escalations.models import Escalation
from organisations.models import User

from . import events
from .models import SystemicIssue, SystemicIssueKind, SystemicIssueStatus
from .rules import systemic_issue_can_manage
from .selectors import systemic_issue_owner_choices

TITLE_LIMIT = 200  # the model's column


def _organisation_escalations(organisation_id: int) -> QuerySet[Escalation]:
    return Escalation.objects.filter(
        Q(raising_organisation_id=organisation_id) | Q(receiving_organisation_id=organisation_id)
    )


def _check_text(errors: dict, field: str, value: str, *, name: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = [f"Enter the {name}."]
    elif len(value) > limit:
        errors[field] = [f"The {name} must be {limit:,} characters or fewer."]
    return value


def _check_owner(errors: dict, owner: User | None, organisation_id: int) -> None:
    if owner is None:
        errors["owner"] = ["Choose who owns this issue."]
    elif not systemic_issue_owner_choices(organisation_id=organisation_id).filter(pk=owner.pk).exists():
        errors["owner"] = ["The owner must be an active member of staff of your organisation."]


def _check_escalations(errors: dict, escalation_ids: Iterable[int], organisation_id: int) -> list[int]:
    ids = sorted(set(escalation_ids))
    found = set(_organisation_escalations(organisation_id).filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [str(pk) for pk in ids if pk not in found]
    if unknown:
        errors["escalations"] = [
            f"No escalation of your organisation has the number {', '.join(unknown)}."
            if len(unknown) == 1 else
            f"No escalations of your organisation have the numbers {', '.join(unknown)}."
        ]
    return ids


def systemic_issue_create(*, actor: User, kind: str, title: str, description: str, owner: User | None,
                          escalation_ids: Iterable[int] = ()) -> SystemicIssue:
    """Record a systemic issue of the PSW's organisation, open, with an owner and linked escalations."""
    if not systemic_issue_can_manage(actor):
        raise ActionNotPermitted("Only your organisation's principal social worker can record systemic issues.")
    organisation_id = actor.organisation_id
    errors: dict[str, list[str]] = {}
    if kind not in SystemicIssueKind.values:
        errors["kind"] = ["Choose the kind of issue."]
    title = _check_text(errors, "title", title, name="title", limit=TITLE_LIMIT)
    description = _check_text(errors, "description", description, name="description", limit=TEXT_LIMIT)
    _check_owner(errors, owner, organisation_id)
    ids = _check_escalations(errors, escalation_ids, organisation_id)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        issue = SystemicIssue.objects.create(
            organisation_id=organisation_id, kind=kind, title=title, description=description,
            owner=owner, raised_by=actor,
        )
        issue.escalations.set(ids)
        events.systemic_issue_event_created(issue=issue, actor=actor)
        if ids:
            events.systemic_issue_event_escalations_linked(issue=issue, actor=actor, escalation_ids=ids)
    return issue


def systemic_issue_update(*, issue: SystemicIssue, actor: User, status: str, owner: User | None,
                          resolution: str, escalation_ids: Iterable[int] | None = None) -> SystemicIssue:
    """Change an issue's status, owner, resolution and linked escalations; a resolved issue needs a resolution.

    Each change made writes its row of the issue's history; saving the issue as it was writes none.
    """
    if not systemic_issue_can_manage(actor, issue.organisation_id):
        raise ActionNotPermitted("Only your organisation's principal social worker can update systemic issues.")
    errors: dict[str, list[str]] = {}
    if status not in SystemicIssueStatus.values:
        errors["status"] = ["Choose open, in progress or resolved."]
    resolution = _check_text(errors, "resolution", resolution, name="resolution", limit=TEXT_LIMIT,
                             required=status == SystemicIssueStatus.RESOLVED)
    _check_owner(errors, owner, issue.organisation_id)
    ids = None if escalation_ids is None else _check_escalations(errors, escalation_ids, issue.organisation_id)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = SystemicIssue.objects.select_for_update().get(pk=issue.pk)
        old_status, old_owner_id, old_resolution = locked.status, locked.owner_id, locked.resolution
        locked.status, locked.owner, locked.resolution = status, owner, resolution
        locked.save(update_fields=["status", "owner", "resolution", "updated_at"])
        if old_status != locked.status:
            events.systemic_issue_event_status_changed(issue=locked, actor=actor, old=old_status)
        if old_owner_id != locked.owner_id:
            old_owner = User.objects.get(pk=old_owner_id)
            events.systemic_issue_event_owner_changed(issue=locked, actor=actor, old=old_owner)
        if old_resolution != locked.resolution:
            events.systemic_issue_event_resolution_changed(issue=locked, actor=actor, old=old_resolution)
        if ids is not None:
            _relink(issue=locked, actor=actor, ids=ids)
    return locked


def _relink(*, issue: SystemicIssue, actor: User, ids: list[int]) -> None:
    linked = set(issue.escalations.values_list("pk", flat=True))
    added, removed = set(ids) - linked, linked - set(ids)
    issue.escalations.set(ids)
    if added:
        events.systemic_issue_event_escalations_linked(issue=issue, actor=actor, escalation_ids=added)
    if removed:
        events.systemic_issue_event_escalations_unlinked(issue=issue, actor=actor, escalation_ids=removed)
