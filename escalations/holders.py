"""Who holds a stage (CONTRACT section 4)."""
from __future__ import annotations

from organisations.models import Organisation, Role, User
from policies.models import Ladder, Stage


def holder_organisation(*, stage: Stage, raising_organisation: Organisation,
                        receiving_organisation: Organisation | None) -> Organisation:
    if stage.in_receiving_organisation and receiving_organisation is not None:
        return receiving_organisation
    return raising_organisation


def eligible_roles(*, stage: Stage, organisation: Organisation) -> list[str]:
    """Return the roles that may hold the stage in this organisation (by role, or by tier)."""
    if stage.role:
        return [stage.role]
    return organisation.roles_for_tier(stage.tier)


def holder_find(*, stage: Stage, raised_by: User, raising_organisation: Organisation,
                receiving_organisation: Organisation | None = None) -> User | None:
    """Return the raiser's nearest line manager with the stage's role, failing that an active
    holder of that role (or tier) in the stage's organisation; None where nobody holds it."""
    organisation = holder_organisation(
        stage=stage, raising_organisation=raising_organisation, receiving_organisation=receiving_organisation
    )
    roles = eligible_roles(stage=stage, organisation=organisation)
    if not roles:
        return None
    for manager in raised_by.line_managers():
        if manager.is_active and manager.role in roles and manager.organisation_id == organisation.pk:
            return manager
    candidates = User.objects.filter(organisation=organisation, role__in=roles, is_active=True).exclude(pk=raised_by.pk)
    by_role = {role: i for i, role in enumerate(roles)}
    found = sorted(candidates, key=lambda u: (by_role.get(u.role, 99), u.pk))
    return found[0] if found else None


def holder_may_take(*, user: User, stage: Stage, organisation: Organisation) -> bool:
    """Whether a person may be given the stage (reassignment for absence cover)."""
    return bool(
        user.is_active
        and user.organisation_id == organisation.pk
        and user.role in eligible_roles(stage=stage, organisation=organisation)
    )


def panel_chair_find(*, stage: Stage, ladder: Ladder) -> User | None:
    """The holder of a resolution panel's stage (CONTRACT 8.2): the QA&P chair of the ladder's partnership."""
    if not stage.panel:
        return None
    return (User.objects.filter(role=Role.QAP_CHAIR, partnership__in=ladder.partnership_ids(), is_active=True)
            .order_by("pk").first())
