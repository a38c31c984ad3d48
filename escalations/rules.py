"""Who may see and do what on an escalation: the one place every page and endpoint asks.

Read with ``user.has_perm("escalations.<action>", escalation)``; lists use
``Escalation.objects.visible_to(user)``, which ``can_view`` mirrors. Each action's spec
(``escalations.actions``) names the predicate below that says who may take it;
``action_permissions_add`` registers them.
"""
from __future__ import annotations

import rules

from organisations.models import Role
from policies.models import SkipBy


@rules.predicate
def is_raiser(user, escalation) -> bool:
    return escalation is not None and escalation.raised_by_id == user.pk


@rules.predicate
def is_holder(user, escalation) -> bool:
    return escalation is not None and escalation.holder_id is not None and escalation.holder_id == user.pk


@rules.predicate
def is_psw_for(user, escalation) -> bool:
    """The PSW of the raising or the receiving organisation."""
    return (
        escalation is not None
        and user.role == Role.PSW
        and user.organisation_id is not None
        and user.organisation_id in (escalation.raising_organisation_id, escalation.receiving_organisation_id)
    )


@rules.predicate
def is_qap_chair_for(user, escalation) -> bool:
    """The partnership's QA&P chair, on an escalation the chair sees: logged with the board, or one the
    chair was drawn into (told of its mediation, or holding its resolution panel)."""
    return (
        escalation is not None
        and user.role == Role.QAP_CHAIR
        and user.partnership_id is not None
        and escalation.ladder.partnership_id == user.partnership_id
        and (escalation.board_logged_at is not None or escalation.participants.filter(user=user).exists())
    )


@rules.predicate
def may_skip(user, escalation) -> bool:
    """Who the ladder lets skip stages: its raiser, or on Bexley's ladder the PSW and nobody else (4.5)."""
    if escalation is None:
        return False
    if escalation.ladder.skip_by == SkipBy.PSW:
        return bool(is_psw_for(user, escalation))
    return bool(is_raiser(user, escalation))


@rules.predicate
def is_allocated_worker_here(user, escalation) -> bool:
    """The case's allocated worker, at a stage where they may act as well as the holder (Stoke 4)."""
    return (
        escalation is not None
        and escalation.stage.allocated_worker_acts
        and escalation.case.allocated_worker_id is not None
        and escalation.case.allocated_worker_id == user.pk
        and escalation.raised_by_id != user.pk  # nobody answers their own challenge
    )


holds_stage = is_holder | is_allocated_worker_here


@rules.predicate
def is_party(user, escalation) -> bool:
    """A party to the disagreement: the raiser, or a present or past holder of the escalation."""
    from .eligibility import holder_ids

    return escalation is not None and (escalation.raised_by_id == user.pk or user.pk in holder_ids(escalation))


@rules.predicate
def is_participant(user, escalation) -> bool:
    return escalation is not None and escalation.participants.filter(user=user).exists()


@rules.predicate
def manages_holder(user, escalation) -> bool:
    return escalation is not None and escalation.holder_id is not None and escalation.holder_id in user.reports_below()


@rules.predicate
def can_view(user, escalation) -> bool:
    from .models import Escalation

    return escalation is not None and Escalation.objects.visible_to(user).filter(pk=escalation.pk).exists()


@rules.predicate
def is_board_member(user) -> bool:
    return user.role == Role.BOARD_MEMBER


@rules.predicate
def is_staff_member(user) -> bool:
    return user.organisation_id is not None and not user.is_board_user and not user.is_administrator


def action_permissions_add() -> None:
    """Register each action's permission, ``escalations.<name>``, with the predicate its spec names.

    Called once the registry is loaded (``EscalationsConfig.ready``): the specs import the predicates
    above, so this module cannot import the specs while it loads.
    """
    from .actions import ACTIONS

    for spec in ACTIONS.values():
        rules.add_perm(spec.permission, spec.who)


rules.add_perm("escalations.view_escalation", can_view)
# Attaching a file is not an action of the registry: it changes no state and has its own upload page.
rules.add_perm("escalations.attach", can_view & ~is_board_member)
rules.add_perm("escalations.raise_escalation", is_staff_member)
rules.add_perm("escalations.view_psw_overview", rules.is_authenticated & rules.predicate(lambda u: u.role == Role.PSW))
rules.add_perm(
    "escalations.view_reports",
    rules.is_authenticated & rules.predicate(lambda u: u.role in (Role.PSW, Role.QAP_CHAIR, Role.BOARD_MEMBER)),
)
