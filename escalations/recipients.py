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

``recipients_for`` is the one resolver, for a person's action and the deadline clock alike: the clock
hands it a ``Parties`` loaded once for a whole batch, so a batch of events costs a few queries, not a
few per event. ``escalation_notify`` tells of one event, ``escalations_notify_many`` of a batch.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from notifications.models import Kind, Notification
from notifications.services import SERIOUS_RISK_LEVELS, Event, notify, notify_many
from organisations.models import Role, User

from .models import Escalation, Participant

__all__ = [
    "ALLOCATED_WORKER", "EVERY_STEP",
    "HOLDER", "MEDIATOR", "ORGANISATION_WIDE", "PANEL", "PARTICIPANTS", "PART_RESOLVERS", "PREVIOUS_HOLDER", "PSW",
    "PSW_IF_SERIOUS", "QAP_CHAIR", "RAISER", "RAISERS_LINE_MANAGER", "RECIPIENTS", "SERIOUS_RISK_LEVELS", "Notice",
    "Parties", "escalation_notify", "escalations_notify_many", "qap_chairs", "recipients_for",
]

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
# The case's allocated worker, where the ladder makes them a party (``Ladder.allocated_worker_is_party``;
# Stoke 4: the informal stage is resolved "either by the social worker or team manager"). Told of every
# step (``EVERY_STEP``); it is also the participant reason the raise records for them.
ALLOCATED_WORKER = "allocated_worker"
PANEL = "panel"  # the members of the resolution panel

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
    # QA&P sub-group "should be informed" of its start and its end (CONTRACT 8.2): the service draws the
    # chair in as a participant, so the chair may open the escalation and act on it.
    Kind.MEDIATION_STARTED: (PARTICIPANTS, MEDIATOR, QAP_CHAIR),
    Kind.MEDIATION_ENDED: (PARTICIPANTS, MEDIATOR, QAP_CHAIR),
    # 001: the panel "will receive representations from those concerned": the members and the parties.
    Kind.PANEL_CONVENED: (PANEL, PARTICIPANTS),
    # Absence cover: the old and the new holder, and the raiser, who should know who holds it now.
    Kind.REASSIGNED: (HOLDER, PREVIOUS_HOLDER, RAISER),
    # Stoke 4: the case's new allocated worker is a party from now on (``EVERY_STEP`` tells them of every other
    # event); Stoke 7: the Conference and Review Manager who raised it is told of a change of allocated worker.
    Kind.ALLOCATED_WORKER_CHANGED: (ALLOCATED_WORKER, RAISER),
    # Sent by the deadline clock before a deadline falls.
    Kind.DEADLINE_REMINDER: (HOLDER,),
}

# Parts told of every event about one escalation, whatever its row says (each resolves to nobody where the
# ladder does not make it a party), but for the reminders only a holder acts on and the PSW's alert.
EVERY_STEP = (ALLOCATED_WORKER,)
NOT_EVERY_STEP = {Kind.DEADLINE_REMINDER, Kind.PSW_ALERT}

# Not about one escalation, so not in the table above: ``oversight.digests`` sends each active PSW one
# ``psw_digest`` a day listing what is overdue in their organisation; ``webhooks.delivery`` tells an
# organisation's administrators that one of its webhook endpoints is failing.
ORGANISATION_WIDE = {
    Kind.PSW_DIGEST: "each active PSW of an organisation with something overdue",
    # ``webhooks.delivery.endpoint_administrators``: an endpoint is the organisation's, not an escalation's.
    Kind.WEBHOOK_FAILING: "each active administrator of the organisation whose webhook endpoint is failing",
}


class Parties:
    """The PSWs and participants the table's parts name, read once for a batch of escalations.

    The deadline clock keeps one for a whole sweep and loads each batch with ``psws_load`` and
    ``participants_load`` (a query each), sharing one ``User`` per person; for a single event each
    is read when first needed.
    """

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self._psws: dict[int, list[User]] = {}  # active PSWs by organisation id
        self._participant_ids: dict[int, list[int]] = {}  # user ids by escalation id
        self._allocated_ids: dict[int, int] = {}  # the allocated worker's id, by escalation id, where a party

    def psws_load(self, organisation_ids: Iterable[int]) -> None:
        """Read the active PSWs of these organisations (those not read yet)."""
        wanted = set(organisation_ids) - self._psws.keys()
        if not wanted:
            return
        for pk in wanted:
            self._psws[pk] = []
        for psw in User.objects.filter(organisation_id__in=wanted, role=Role.PSW, is_active=True).order_by("pk"):
            if psw.organisation_id is not None:
                self._psws[psw.organisation_id].append(self.users.setdefault(psw.pk, psw))

    def participants_load(self, escalation_ids: Iterable[int]) -> None:
        """Read who is drawn into each of these escalations, afresh (a batch adds participants as it writes)."""
        wanted = set(escalation_ids)
        if not wanted:
            return
        rows = list(Participant.objects.filter(escalation_id__in=wanted).order_by("pk")
                    .values_list("escalation_id", "user_id", "reason"))
        pairs = [(escalation_id, user_id) for escalation_id, user_id, _reason in rows]
        for pk in wanted:
            self._participant_ids[pk] = []
            self._allocated_ids.pop(pk, None)
        for escalation_id, user_id, reason in rows:
            self._participant_ids[escalation_id].append(user_id)
            if reason == ALLOCATED_WORKER:
                self._allocated_ids[escalation_id] = user_id
        missing = {user_id for _, user_id in pairs} - self.users.keys()
        if missing:
            self.users.update(User.objects.in_bulk(missing))

    def psws(self, escalation: Escalation) -> list[User]:
        """The PSWs of the raising organisation, and of the receiving one for multi-agency."""
        organisations = [escalation.raising_organisation_id]
        if escalation.receiving_organisation_id:
            organisations.append(escalation.receiving_organisation_id)
        self.psws_load(organisations)
        return [psw for pk in organisations for psw in self._psws[pk]]

    def participant_ids(self, escalation: Escalation) -> list[int]:
        if escalation.pk not in self._participant_ids:
            self.participants_load([escalation.pk])
        return self._participant_ids[escalation.pk]

    def participants(self, escalation: Escalation) -> list[User]:
        return [self.users[pk] for pk in self.participant_ids(escalation)]

    def allocated_worker(self, escalation: Escalation) -> list[User]:
        """The case's allocated worker, where the raise made them a party (Stoke 4)."""
        self.participant_ids(escalation)
        pk = self._allocated_ids.get(escalation.pk)
        return [self.users[pk]] if pk is not None else []

    def may_open(self, user: User, escalation: Escalation) -> bool:
        """Say whether this person may open the escalation: the rule of ``Escalation.objects.visible_to``.

        Answered from what is loaded where that rule surely finds it (a participant; a PSW of the
        raising or receiving organisation; but never a platform account, a board member or QA&P chair,
        whom the rule treats apart), so a batch's raisers, holders and PSWs cost no query; asked of the
        database otherwise.
        """
        if user.is_platform_staff:
            return False
        if user.role not in (Role.BOARD_MEMBER, Role.QAP_CHAIR):
            if user.pk in self.participant_ids(escalation):
                return True
            if user.role == Role.PSW and user.organisation_id is not None and user.organisation_id in (
                    escalation.raising_organisation_id, escalation.receiving_organisation_id):
                return True
        return Escalation.objects.visible_to(user).filter(pk=escalation.pk).exists()


def qap_chairs(escalation: Escalation) -> list[User]:
    # Only a partnership's ladder has a QA&P chair who may open its escalations (rules.is_qap_chair_for).
    if not escalation.ladder.partnership_id:
        return []
    return list(User.objects.filter(partnership_id=escalation.ladder.partnership_id, role=Role.QAP_CHAIR,
                                    is_active=True))


# Each part's people for one event: (escalation, the holder before the event, parties) -> people.
PART_RESOLVERS: dict[str, Callable[[Escalation, User | None, Parties], Sequence[User | None]]] = {
    RAISER: lambda e, previous, parties: [e.raised_by],
    HOLDER: lambda e, previous, parties: [e.holder] if e.holder_id else [],
    PREVIOUS_HOLDER: lambda e, previous, parties: [previous] if previous else [],
    RAISERS_LINE_MANAGER: lambda e, previous, parties: (
        [e.raised_by.line_manager] if e.raised_by.line_manager_id else []
    ),
    PSW: lambda e, previous, parties: parties.psws(e),
    PSW_IF_SERIOUS: lambda e, previous, parties: parties.psws(e) if e.risk_level in SERIOUS_RISK_LEVELS else [],
    PARTICIPANTS: lambda e, previous, parties: parties.participants(e),
    MEDIATOR: lambda e, previous, parties: [e.mediator] if e.mediator_id else [],
    QAP_CHAIR: lambda e, previous, parties: qap_chairs(e),
    ALLOCATED_WORKER: lambda e, previous, parties: parties.allocated_worker(e),
    PANEL: lambda e, previous, parties: [member.user for member in e.panel_members.select_related("user")],
}


def recipients_for(kind: str, escalation: Escalation, *, actor: User | None = None,
                   previous_holder: User | None = None, extra_parts: Iterable[str] = (),
                   parties: Parties | None = None) -> list[User]:
    """Return the people the table names for this event: active, without the actor, without repeats,
    and only those who may open the escalation.

    ``extra_parts`` adds parts for one event (a caller's rule on top of the table); ``parties`` is
    what the caller has loaded already (the deadline clock's batch).
    """
    if kind not in RECIPIENTS:
        raise ValueError(f"{kind!r} is not an event about one escalation: it has no row in the table.")
    parties = parties if parties is not None else Parties()
    seen: dict[int, User] = {}
    every_step = EVERY_STEP if kind not in NOT_EVERY_STEP else ()
    for part in (*RECIPIENTS[kind], *extra_parts, *every_step):
        for user in PART_RESOLVERS[part](escalation, previous_holder, parties):
            if user is None or not user.is_active:
                continue
            if actor is not None and user.pk == actor.pk:
                continue
            seen.setdefault(user.pk, user)
    return [user for user in seen.values() if parties.may_open(user, escalation)]


def escalation_notify(*, kind: str, escalation: Escalation, actor: User | None = None,
                      previous_holder: User | None = None, extra_parts: Iterable[str] = (),
                      discriminator: str = "") -> list[Notification]:
    """Tell everyone the table names for this event; return the notifications that are new."""
    recipients = recipients_for(kind, escalation, actor=actor, previous_holder=previous_holder,
                                extra_parts=extra_parts)
    return notify(kind=kind, escalation=escalation, recipients=recipients, actor=actor, discriminator=discriminator)


@dataclass(frozen=True)
class Notice:
    """One event on one escalation with no actor (the clock's), for ``escalations_notify_many``.

    ``deadline`` is the deadline it is about (the escalation's stage deadline where None).
    """

    kind: str
    escalation: Escalation
    deadline: dt.datetime | None = None
    previous_holder: User | None = None
    extra_parts: tuple[str, ...] = ()
    discriminator: str = ""


def escalations_notify_many(notices: Sequence[Notice], *, parties: Parties | None = None) -> int:
    """Tell of a batch of events at once: their participants in one query, their rows in one INSERT
    per chunk (``notifications.services.notify_many``). Returns how many notifications are new.
    """
    if not notices:
        return 0
    parties = parties if parties is not None else Parties()
    parties.participants_load({notice.escalation.pk for notice in notices})
    events = [
        Event(kind=notice.kind, escalation=notice.escalation, deadline=notice.deadline,
              discriminator=notice.discriminator,
              recipients=recipients_for(notice.kind, notice.escalation, previous_holder=notice.previous_holder,
                                        extra_parts=notice.extra_parts, parties=parties))
        for notice in notices
    ]
    return len(notify_many(events))
