"""Who is told of each event: the table to check against the procedures.

Each row names the people by the part they play in the escalation. Three rules hold for every row:

- the person who acted is never told of their own action (they know);
- everyone else named is told once, however many parts they play;
- nobody is told of an escalation they may not open (``Escalation.objects.visible_to``), so a
  link in a notification never leads to a page the reader is refused.

The raiser is never left uninformed: every row for a change of state names the raiser, directly
or as a participant (the procedures: "the referring member of staff should be kept informed",
BS3; decisions "shared with relevant personnel, to include the worker who raised the initial
concern", the generic guide).
"""
from __future__ import annotations

from collections.abc import Callable

from organisations.models import Role, User

from .models import Kind

# The parts a person can play, resolved for one escalation by ``PART_RESOLVERS``.
RAISER = "raiser"
HOLDER = "holder"  # the holder now, after the event
PREVIOUS_HOLDER = "previous_holder"  # the holder before a climb or a reassignment
RAISERS_LINE_MANAGER = "raisers_line_manager"
PSW = "psw"  # the PSW of the raising organisation (and of the receiving one, for multi-agency)
PSW_IF_SERIOUS = "psw_if_serious"  # the PSW, where the risk level is significant_harm or imminent
PARTICIPANTS = "participants"  # everyone drawn in: raiser, holders at every stage, mediator, note writers
MEDIATOR = "mediator"
QAP_CHAIR = "qap_chair"  # the QA&P sub-group chair of the ladder's partnership

RECIPIENTS: dict[str, tuple[str, ...]] = {
    # Bexley 3.2, Wiltshire 2.5: the holder must respond; the raiser's manager knows it was raised.
    Kind.ESCALATION_RAISED: (HOLDER, RAISERS_LINE_MANAGER),
    # Bexley 5.3, 5.5: significant or imminent risk brings in the PSW at once.
    Kind.PSW_ALERT: (PSW,),
    # Bexley 3.3-3.6: the new holder must respond; the raiser and the holder left behind are told.
    Kind.STAGE_ESCALATED: (HOLDER, RAISER, PREVIOUS_HOLDER),
    Kind.MEETING_ARRANGED: (RAISER,),
    # Generic guide, BS3: every decision is recorded in writing and shared with the raiser.
    Kind.RESPONSE_RECORDED: (RAISER,),
    # Bexley 5.4: the raiser may proceed to the next level; the holder is reminded; a missed
    # significant-harm or imminent stage also goes to the PSW (Bexley 5.3, 5.5).
    Kind.DEADLINE_MISSED: (RAISER, HOLDER, PSW_IF_SERIOUS),
    # The clock moved it: everyone involved, the new holder first, and the PSW.
    Kind.AUTO_ADVANCED: (HOLDER, PREVIOUS_HOLDER, PARTICIPANTS, PSW),
    # Stoke 4: the formal process must finish within 20 working days.
    Kind.OVERALL_DEADLINE_MISSED: (RAISER, HOLDER, PSW),
    # Generic guide, BS3: written confirmation of the agreed outcome between all the parties.
    Kind.RESOLVED: (PARTICIPANTS,),
    Kind.WITHDRAWN: (HOLDER, PARTICIPANTS),
    # Bexley 3.7: a decision overturned higher up opens it again at the next level.
    Kind.REOPENED: (HOLDER, RAISER, PREVIOUS_HOLDER),
    # Wiltshire 3a, 3b: serious or unresolved cases are logged with the QA&P chair; the raiser
    # is kept informed of what happens to their concern.
    Kind.BOARD_LOGGED: (QAP_CHAIR, RAISER),
    # Wiltshire 3c: mediation brings both organisations' people together with the mediator; the
    # QA&P sub-group "should be informed" (told where the case is logged with it, so they can open it).
    Kind.MEDIATION_STARTED: (PARTICIPANTS, MEDIATOR, QAP_CHAIR),
    Kind.MEDIATION_ENDED: (PARTICIPANTS, MEDIATOR),
    # Absence cover: the old and the new holder, and the raiser, who should know who holds it now.
    Kind.REASSIGNED: (HOLDER, PREVIOUS_HOLDER, RAISER),
    # Sent by the deadline clock before a deadline falls.
    Kind.DEADLINE_REMINDER: (HOLDER,),
}

# Not about one escalation, so not in the table above: ``notifications.digests`` sends each active
# PSW one ``psw_digest`` a day listing what is overdue in their organisation.
ORGANISATION_WIDE = {Kind.PSW_DIGEST: "each active PSW of an organisation with something overdue"}

SERIOUS_RISK_LEVELS = ("significant_harm", "imminent")


def _psws(escalation) -> list[User]:
    organisations = [escalation.raising_organisation_id]
    if escalation.receiving_organisation_id:
        organisations.append(escalation.receiving_organisation_id)
    return list(User.objects.filter(organisation_id__in=organisations, role=Role.PSW, is_active=True))


def _qap_chairs(escalation) -> list[User]:
    # Only a partnership's ladder has a QA&P chair who may open its escalations (rules.is_qap_chair_for).
    if not escalation.ladder.partnership_id:
        return []
    return list(User.objects.filter(partnership_id=escalation.ladder.partnership_id, role=Role.QAP_CHAIR,
                                    is_active=True))


def _participants(escalation) -> list[User]:
    return [p.user for p in escalation.participants.select_related("user")]


PART_RESOLVERS: dict[str, Callable[..., list]] = {
    RAISER: lambda e, ctx: [e.raised_by],
    HOLDER: lambda e, ctx: [e.holder] if e.holder_id else [],
    PREVIOUS_HOLDER: lambda e, ctx: [ctx["previous_holder"]] if ctx.get("previous_holder") else [],
    RAISERS_LINE_MANAGER: lambda e, ctx: [e.raised_by.line_manager] if e.raised_by.line_manager_id else [],
    PSW: lambda e, ctx: _psws(e),
    PSW_IF_SERIOUS: lambda e, ctx: _psws(e) if e.risk_level in SERIOUS_RISK_LEVELS else [],
    PARTICIPANTS: lambda e, ctx: _participants(e),
    MEDIATOR: lambda e, ctx: [e.mediator] if e.mediator_id else [],
    QAP_CHAIR: lambda e, ctx: _qap_chairs(e),
}


def recipients_for(kind: str, escalation, *, actor=None, previous_holder=None, extra_parts=()) -> list[User]:
    """Return the people the table names for this event: active, without the actor, without repeats.

    ``extra_parts`` adds parts for one event (a caller's rule on top of the table). Whether each
    person may open the escalation is checked when the notifications are created.
    """
    if kind not in RECIPIENTS:
        raise ValueError(f"{kind!r} is not an event about one escalation: it has no row in the table.")
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
