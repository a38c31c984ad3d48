"""Who holds a stage (CONTRACT section 4)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.utils import timezone

from organisations.models import Absence, Organisation, User
from policies import clock
from policies.models import Stage


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
                receiving_organisation: Organisation | None = None, exclude: Collection[int] = ()) -> User | None:
    """Return the raiser's nearest line manager with the stage's role, failing that an active
    holder of that role (or tier) in the stage's organisation; None where nobody holds it.

    Nobody whose id is in ``exclude`` is chosen (a holder passing their stages on)."""
    organisation = holder_organisation(
        stage=stage, raising_organisation=raising_organisation, receiving_organisation=receiving_organisation
    )
    roles = eligible_roles(stage=stage, organisation=organisation)
    if not roles:
        return None
    for manager in raised_by.line_managers():
        if (manager.is_active and manager.role in roles and manager.organisation_id == organisation.pk
                and manager.pk not in exclude):
            return manager
    candidates = (User.objects.filter(organisation=organisation, role__in=roles, is_active=True)
                  .exclude(pk=raised_by.pk).exclude(pk__in=list(exclude)))
    by_role = {role: i for i, role in enumerate(roles)}
    found = sorted(candidates, key=lambda u: (by_role.get(u.role, 99), u.pk))
    return found[0] if found else None


def _today() -> dt.date:
    return clock.local(timezone.now()).date()


def holder_line_manager(*, holder: User | None, organisation: Organisation, day: dt.date | None = None) -> User | None:
    """The holder's own nearest line manager in the stage's organisation who is active and not away on
    ``day`` (today by default): always eligible to take the stage over from them (CONTRACT section 8.5),
    whatever their role."""
    if holder is None:
        return None
    chain = [m for m in holder.line_managers() if m.is_active and m.organisation_id == organisation.pk]
    if not chain:
        return None
    away = Absence.objects.on(day or _today()).filter(person__in=chain).values_list("person_id", flat=True)
    away_ids = set(away)
    return next((manager for manager in chain if manager.pk not in away_ids), None)


def holder_may_take(*, user: User, stage: Stage, organisation: Organisation, holder: User | None = None,
                    raised_by: User | None = None, day: dt.date | None = None) -> bool:
    """Whether a person may be given the stage instead of ``holder`` (reassignment, absence cover).

    Eligible: an active person of the stage's organisation with the stage's role (or a role of its
    tier), or the holder's own line manager; never the holder, never the raiser or someone the
    raiser manages (CONTRACT section 8.1), and never someone away on ``day`` (today by default).
    """
    if not user.is_active or user.organisation_id != organisation.pk:
        return False
    if holder is not None and user.pk == holder.pk:
        return False
    if raised_by is not None and (user.pk == raised_by.pk or user.pk in raised_by.reports_below()):
        return False
    day = day or _today()
    if Absence.objects.on(day).filter(person=user).exists():
        return False
    if user.role in eligible_roles(stage=stage, organisation=organisation):
        return True
    manager = holder_line_manager(holder=holder, organisation=organisation, day=day)
    return manager is not None and manager.pk == user.pk
