"""Who may mediate an escalation, who may sit on its resolution panel, and who its parties are.

One place for each rule, read alike by the page (the people it offers), the API and the services (the
people they accept): CONTRACT section 8.2, Wiltshire section 2 and 3c, 001 "Resolution Panel".
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from organisations.models import ADMIN_ROLES, BOARD_ROLES, Role, User

from .events import Action
from .models import Escalation, Participant, TimelineEntry

# 001: "the panel must consist of LSCB representatives from three agencies".
PANEL_MINIMUM = 3

# Timeline entries that name the person who took a stage, and the parameter that names them.
_HOLDER_PARAMS = {
    Action.ESCALATE: "holder", Action.SKIP: "holder", Action.REOPEN: "holder", Action.AUTO_ADVANCE: "holder",
    Action.REASSIGN: "to",
}


def holder_ids(escalation: Escalation) -> set[int]:
    """Everyone who holds or has held a stage of the escalation: its holder participants, its holder now, and
    whoever a climb, the clock or a reassignment gave it to (the timeline names them)."""
    ids = set(Participant.objects.filter(escalation=escalation, reason="holder").values_list("user_id", flat=True))
    if escalation.holder_id:
        ids.add(escalation.holder_id)
    names = {
        entry.params.get(_HOLDER_PARAMS[entry.action])
        for entry in TimelineEntry.objects.filter(escalation=escalation, action__in=list(_HOLDER_PARAMS)).only(
            "action", "params")
    }
    names.discard(None)
    if names:
        ids |= set(User.objects.filter(username__in=names).values_list("pk", flat=True))
    return ids


def party_ids(escalation: Escalation) -> set[int]:
    """The parties to the disagreement: the raiser and every present or past holder (CONTRACT 8.2)."""
    return {escalation.raised_by_id, *holder_ids(escalation)}


def _staff_of_partners(escalation: Escalation) -> Q:
    """Active staff of the organisations of the ladder's partnership(s), not its board, not administrators."""
    return (
        Q(organisation__partnerships__in=escalation.ladder.partnership_ids(), is_active=True, is_superuser=False)
        & ~Q(role__in=[*BOARD_ROLES, *ADMIN_ROLES])
    )


def mediators_eligible(escalation: Escalation) -> QuerySet[User]:
    """The people who may mediate: the partnership's QA&P chair (the independent chair), or an active member of
    another organisation of the partnership, neither the raising nor the receiving one (Wiltshire 2: "another
    partner organisation best suited"); never a present or past holder or the raiser (3c: the mediator is never
    the decision maker)."""
    partnerships = escalation.ladder.partnership_ids()
    chair = Q(role=Role.QAP_CHAIR, partnership__in=partnerships, is_active=True)
    others = _staff_of_partners(escalation) & ~Q(
        organisation_id__in=[pk for pk in (escalation.raising_organisation_id, escalation.receiving_organisation_id)
                             if pk])
    return (
        User.objects.filter(pk__in=User.objects.filter(chair | others).values("pk"))
        .exclude(pk__in=party_ids(escalation))
        .select_related("organisation", "partnership")
        .order_by("last_name", "first_name", "username")
    )


def panel_members_eligible(escalation: Escalation) -> QuerySet[User]:
    """The people who may sit on the resolution panel: active staff of the partnership's organisations who are
    not a party to the disagreement (001: representatives of three agencies)."""
    return (
        User.objects.filter(pk__in=User.objects.filter(_staff_of_partners(escalation)).values("pk"))
        .exclude(pk__in=party_ids(escalation))
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "first_name", "username")
    )


def panel_problems(escalation: Escalation, members: Sequence[User]) -> list[str]:
    """Why these people cannot make up the panel (empty when they can), in the order a person fixes them."""
    parties = party_ids(escalation)
    sitting = [member for member in members if member.pk in parties]
    if sitting:
        names = ", ".join(member.username for member in sitting)
        return [f"A party to the disagreement cannot sit on the panel: {names}."]
    eligible = set(panel_members_eligible(escalation).filter(pk__in=[m.pk for m in members]).values_list(
        "pk", flat=True))
    outsiders = [member for member in members if member.pk not in eligible]
    if outsiders:
        names = ", ".join(member.username for member in outsiders)
        return [f"Choose members among the staff of the partnership's organisations: {names} cannot sit."]
    if len({member.pk for member in members}) < PANEL_MINIMUM:
        return [f"Choose at least {PANEL_MINIMUM} members."]
    organisations = {member.organisation_id for member in members}
    if len(organisations) < PANEL_MINIMUM:
        return [f"Choose members from at least {PANEL_MINIMUM} different organisations."]
    missing = [org for org in (escalation.raising_organisation, escalation.receiving_organisation)
               if org is not None and org.pk not in organisations]
    if missing:
        names = " and ".join(org.name for org in missing)
        return [f"The panel must include a member of {names}: the organisations that disagree."]
    return []
