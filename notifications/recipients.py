"""Who is told of each event: the table to check against the procedures.

Each row names the people by their part in the escalation. The person who acted is never told of
their own action (they know); everyone else named is told once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from organisations.models import Role, User

from .models import Kind

# The parts a person can play, resolved for one escalation by ``people``.
RAISER = "raiser"
HOLDER = "holder"
PREVIOUS_HOLDER = "previous_holder"
RAISERS_LINE_MANAGER = "raisers_line_manager"
PSW = "psw"  # the PSW of the raising organisation (and of the receiving one, for multi-agency)
PARTICIPANTS = "participants"  # everyone drawn in: raiser, holders at every stage, mediator, actors
MEDIATOR = "mediator"
QAP_CHAIR = "qap_chair"  # the partnership's QA&P sub-group chair

RECIPIENTS: dict[str, tuple[str, ...]] = {
    # Bexley 3.2, Wiltshire 2.5: the holder must respond; the raiser's manager knows it was raised.
    Kind.ESCALATION_RAISED: (HOLDER, RAISERS_LINE_MANAGER),
    # Bexley 5.3, 5.5: significant or imminent risk alerts the PSW at once (raised on its own kind).
    Kind.PSW_ALERT: (PSW,),
    Kind.STAGE_ESCALATED: (HOLDER, RAISER, PREVIOUS_HOLDER),
    Kind.MEETING_ARRANGED: (RAISER,),
    # BS3 and the generic guide: decisions are shared with the raiser in writing.
    Kind.RESPONSE_RECORDED: (RAISER,),
    # Bexley 5.4: the raiser may proceed; the holder is reminded (PSW added for significant harm).
    Kind.DEADLINE_MISSED: (RAISER, HOLDER),
    Kind.AUTO_ADVANCED: (HOLDER, RAISER, PREVIOUS_HOLDER, PSW),
    Kind.OVERALL_DEADLINE_MISSED: (RAISER, HOLDER, PSW),
    Kind.RESOLVED: (PARTICIPANTS,),
    Kind.WITHDRAWN: (HOLDER, PARTICIPANTS),
    Kind.REOPENED: (HOLDER, RAISER, PREVIOUS_HOLDER),
    # Wiltshire 3a/3b: serious or unresolved cases are logged with the QA&P chair.
    Kind.BOARD_LOGGED: (QAP_CHAIR,),
    # Wiltshire 3c: mediation brings both organisations together with the mediator.
    Kind.MEDIATION_STARTED: (PARTICIPANTS, MEDIATOR, QAP_CHAIR),
    Kind.MEDIATION_ENDED: (PARTICIPANTS, MEDIATOR),
    Kind.REASSIGNED: (HOLDER, PREVIOUS_HOLDER, RAISER),
    Kind.DEADLINE_REMINDER: (HOLDER,),
    Kind.PSW_DIGEST: (PSW,),
}


def _psws(escalation) -> list[User]:
    orgs = [escalation.raising_organisation_id]
    if escalation.receiving_organisation_id:
        orgs.append(escalation.receiving_organisation_id)
    return list(User.objects.filter(organisation_id__in=orgs, role=Role.PSW, is_active=True))


def _qap_chairs(escalation) -> list[User]:
    partnership_ids: Iterable[int]
    if escalation.ladder.partnership_id:
        partnership_ids = [escalation.ladder.partnership_id]
    else:
        partnership_ids = escalation.raising_organisation.partnerships.values_list("pk", flat=True)
    return list(User.objects.filter(partnership_id__in=list(partnership_ids), role=Role.QAP_CHAIR, is_active=True))


def _participants(escalation) -> list[User]:
    return [p.user for p in escalation.participants.select_related("user") if p.user.is_active]


PART_RESOLVERS: dict[str, Callable] = {
    RAISER: lambda e, ctx: [e.raised_by],
    HOLDER: lambda e, ctx: [e.holder] if e.holder_id else [],
    PREVIOUS_HOLDER: lambda e, ctx: [ctx["previous_holder"]] if ctx.get("previous_holder") else [],
    RAISERS_LINE_MANAGER: lambda e, ctx: [e.raised_by.line_manager] if e.raised_by.line_manager_id else [],
    PSW: lambda e, ctx: _psws(e),
    PARTICIPANTS: lambda e, ctx: _participants(e),
    MEDIATOR: lambda e, ctx: [e.mediator] if e.mediator_id else [],
    QAP_CHAIR: lambda e, ctx: _qap_chairs(e),
}


def recipients_for(kind: str, escalation, *, actor=None, previous_holder=None, extra_parts=()) -> list[User]:
    """Return the people to tell of this event, without the actor and without repeats."""
    ctx = {"previous_holder": previous_holder}
    seen: dict[int, User] = {}
    for part in (*RECIPIENTS[kind], *extra_parts):
        for user in PART_RESOLVERS[part](escalation, ctx):
            if user is None or not user.is_active:
                continue
            if actor is not None and user.pk == actor.pk:
                continue
            seen.setdefault(user.pk, user)
    return list(seen.values())
