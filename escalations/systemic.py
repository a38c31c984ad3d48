"""The systemic issues register (Bexley 4.4): what the PSW sees behind many escalations.

Obstructive processes, IT problems, the workplace, working relations: each issue has a status, an
owner among the organisation's staff and, once resolved, a resolution. The organisation's PSW
records and updates them; the rest of its staff may read them; nobody else sees them.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from organisations.models import Role, User

from .models import Escalation, SystemicIssue, SystemicIssueKind, SystemicIssueStatus
from .services import ActionNotPermitted

TITLE_LIMIT = 200  # the model's column
TEXT_LIMIT = 10_000  # as for an escalation's free text: a long e-mail's worth
BOARD_ROLES = (Role.BOARD_MEMBER, Role.QAP_CHAIR)


# --- who may do what ---------------------------------------------------------------------------------
def systemic_issue_can_view_register(user: User) -> bool:
    """Staff of an organisation may read its register; partnership roles have none."""
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id and user.role not in BOARD_ROLES)


def systemic_issue_can_manage(user: User, organisation_id: int | None = None) -> bool:
    """Only the organisation's PSW records and updates its systemic issues."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.PSW or not user.organisation_id:
        return False
    return organisation_id is None or organisation_id == user.organisation_id


# --- reads -------------------------------------------------------------------------------------------
def systemic_issue_list(*, user: User, status: str = "", kind: str = "") -> QuerySet[SystemicIssue]:
    """The issues of the user's organisation, newest first, filtered by status and kind."""
    if not systemic_issue_can_view_register(user):
        return SystemicIssue.objects.none()
    issues = (
        SystemicIssue.objects.filter(organisation_id=user.organisation_id)
        .select_related("owner", "raised_by")
        .annotate(escalation_count=Count("escalations", distinct=True))
    )
    if status:
        issues = issues.filter(status=status)
    if kind:
        issues = issues.filter(kind=kind)
    return issues.order_by("-created_at", "-pk")


def systemic_issue_get(*, user: User, pk: int) -> SystemicIssue:
    """The issue if it belongs to the user's organisation; SystemicIssue.DoesNotExist otherwise."""
    if not systemic_issue_can_view_register(user):
        raise SystemicIssue.DoesNotExist("Only staff of an organisation see its systemic issues.")
    return SystemicIssue.objects.select_related("owner", "raised_by", "organisation").get(
        pk=pk, organisation_id=user.organisation_id,
    )


def systemic_issue_owner_choices(*, organisation_id: int) -> QuerySet[User]:
    """The organisation's active staff, who may own an issue."""
    return (
        User.objects.filter(organisation_id=organisation_id, is_active=True)
        .exclude(role__in=BOARD_ROLES)
        .order_by("first_name", "last_name", "username")
    )


def systemic_issue_escalations(*, issue: SystemicIssue, user: User) -> tuple[list[Escalation], int]:
    """The linked escalations this user may open, and how many others are linked."""
    linked = issue.escalations.all()
    visible = list(
        Escalation.objects.visible_to(user).filter(pk__in=linked.values("pk"))
        .select_related("case", "ladder").order_by("pk")
    )
    return visible, linked.count() - len(visible)


# --- writes ------------------------------------------------------------------------------------------
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
    return issue


def systemic_issue_update(*, issue: SystemicIssue, actor: User, status: str, owner: User | None,
                          resolution: str, escalation_ids: Iterable[int] | None = None) -> SystemicIssue:
    """Change an issue's status, owner, resolution and linked escalations; a resolved issue needs a resolution."""
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
        locked.status, locked.owner, locked.resolution = status, owner, resolution
        locked.save(update_fields=["status", "owner", "resolution", "updated_at"])
        if ids is not None:
            locked.escalations.set(ids)
    return locked
