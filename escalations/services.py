"""Every write on an escalation: the one door for every state change.

Each service validates its input (400 with the field and the reason), locks the row, checks the
actor's permission (403), asks the action's transition whether the state and the ladder allow it now
(409, in the words of its spec's first failing check: ``actions.refusal``), fires the django-fsm
transition, saves, appends the timeline entry and creates the notifications, all in one
transaction: a refused or failed action leaves the escalation exactly as it was.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeAlias

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case as SQLCase  # cases.models.Case is the case record
from django.db.models import F, When
from django.utils import timezone
from django_fsm import ConcurrentTransition

from cases import services as case_services
from cases.models import Case
from core.errors import ActionConflict, ActionNotPermitted, EscalationError  # noqa: F401 (callers catch them here)
from core.text import TEXT_LIMIT
from notifications.models import Kind
from organisations.models import Organisation, Role, User
from policies import clock
from policies.models import Ladder, RiskLevel, Stage

from . import events
from .actions import ACTIONS, refusal
from .cases import case_list_visible
from .eligibility import mediators_eligible, panel_problems
from .holders import (
    EntryRefused,
    entry_stage_find,
    holder_find,
    holder_line_manager,
    holder_may_take,
    holder_organisation,
    panel_chair_find,
    panel_chairs_eligible,
)
from .invitations import meeting_invitation_send, meeting_invitations_cancel, meeting_invitations_cancel_many
from .models import (
    LIVE_STATES,
    Basis,
    BoardLog,
    BoardLogKind,
    Debrief,
    Escalation,
    PanelMember,
    Participant,
    State,
    TimelineEntry,
)
from .recipients import ALLOCATED_WORKER, PSW, Notice, Parties, escalations_notify_many, qap_chairs
from .recipients import escalation_notify as notify
from .states import Decision

# --- helpers -----------------------------------------------------------------------------------------
Errors = dict[str, list[str]]  # a field and the reasons it was refused (400)


def _text(errors: Errors, field: str, value: object, *, label: str, required: bool = True,
          limit: int = TEXT_LIMIT) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not isinstance(value, str):
        errors[field] = [f"{label} must be text."]
        return ""
    if required and not value:
        errors[field] = [f"Enter {label.lower()}."]
    elif len(value) > limit:
        errors[field] = [f"{label} must be {limit:,} characters or fewer."]
    return value


def _raise_if(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _participant_add(escalation: Escalation, user: User | None, reason: str) -> None:
    if user is not None:
        Participant.objects.get_or_create(escalation=escalation, user=user, defaults={"reason": reason})


def stage_deadline_for(*, escalation: Escalation, stage: Stage, start: dt.datetime, working_days: int) -> dt.datetime:
    """The deadline of a stage, on the calendar of the organisation that holds it."""
    organisation = holder_organisation(
        stage=stage,
        raising_organisation=escalation.raising_organisation,
        receiving_organisation=escalation.receiving_organisation,
    )
    return clock.deadline(
        start, working_days,
        closure_days=organisation.closure_dates(),
        close_of_business=organisation.close_of_business,
    )


CONCERNED = "concerned"  # the participant reason of the person a concern is about (Stoke 9)


def _line_of(escalation: Escalation, index: int) -> User | None:
    """Whose line management a stage is held up: the person the concern is about, where the ladder says the
    raiser names them (Stoke 9: "escalated to their Service Manager"); otherwise the raiser's (None)."""
    if not escalation.ladder.holder_named_on_raise or index == 0 or escalation.pk is None:
        return None
    concerned = Participant.objects.filter(escalation=escalation, reason=CONCERNED).select_related("user").first()
    return concerned.user if concerned is not None else None


def stage_enter(*, escalation: Escalation, index: int, now: dt.datetime, working_days: int | None = None,
                require_holder: bool = True, holder: User | None = None,
                absent_ids: Collection[int] | None = None) -> User | None:
    """Put the escalation at a stage (in memory): its holder, start, deadline and overall deadline.

    ``holder`` is the person named in the request (ValidationError on ``holder`` where not eligible);
    otherwise the holder rule chooses (``holders.holder_find``; ``absent_ids``: who is away today, where a
    batch has read it once). Returns the previous holder. Raises
    ActionConflict where nobody can hold the stage and ``require_holder`` is set (a person's action);
    the clock proceeds and alerts instead.
    """
    ladder = escalation.ladder
    stage = ladder.stage(index)
    on = clock.local(now).date()
    if stage.panel and holder is not None:  # a named chair (a vice-chair while the chair is away), where here
        if not any(chair.pk == holder.pk for chair in panel_chairs_eligible(ladder=ladder, on=on,
                                                                              exclude={escalation.raised_by_id})):
            raise ValidationError({"holder": [
                "Choose a QA&P chair of the partnership who is not away: the resolution panel's stage is theirs."]})
    elif stage.panel:
        holder = panel_chair_find(stage=stage, ladder=ladder, on=on, absent_ids=absent_ids)
    else:
        holder = holder_find(
            stage=stage, raised_by=escalation.raised_by,
            raising_organisation=escalation.raising_organisation,
            receiving_organisation=escalation.receiving_organisation,
            holder=holder, line_of=_line_of(escalation, index), on=on, absent_ids=absent_ids,
        )
    if holder is None and require_holder and stage.panel:
        raise ActionConflict(f"The partnership has no QA&P chair here to convene '{stage.name}' (every one is "
                             "away, or there is none). Ask an administrator to add one.")
    if holder is None and require_holder:
        organisation = holder_organisation(
            stage=stage, raising_organisation=escalation.raising_organisation,
            receiving_organisation=escalation.receiving_organisation,
        )
        raise ActionConflict(
            f"Nobody in {organisation.name} holds the role for '{stage.name}'. Ask your principal social "
            "worker or an administrator to add one."
        )
    previous = escalation.holder
    escalation.stage_index = index
    escalation.holder = holder
    escalation.stage_started_at = now
    days = stage.working_days if working_days is None else working_days
    escalation.stage_deadline = stage_deadline_for(escalation=escalation, stage=stage, start=now, working_days=days)
    escalation.missed_deadline_handled = None
    escalation.meeting_at = None
    escalation.decision = ""
    escalation.rationale = ""
    if ladder.overall_working_days and index >= ladder.overall_from_stage and escalation.overall_deadline is None:
        escalation.overall_deadline = stage_deadline_for(
            escalation=escalation, stage=stage, start=now, working_days=ladder.overall_working_days
        )
    return previous


STAGE_FIELDS = [
    "stage_index", "holder", "stage_started_at", "stage_deadline", "overall_deadline",
    "missed_deadline_handled", "meeting_at", "decision", "rationale",
]


@contextmanager
def _changing(escalation: Escalation | int, *, actor: User | None, action: str,
              expected_version: int | None = None) -> Iterator[Escalation]:
    """Lock the escalation, check the version and the actor's permission to take the action, and yield it."""
    pk = escalation if isinstance(escalation, int) else escalation.pk
    try:
        with transaction.atomic():
            locked = Escalation.objects.select_for_update(of=("self",)).select_related(
                "ladder", "case", "raised_by", "raising_organisation", "receiving_organisation", "holder"
            ).get(pk=pk)
            if expected_version is not None and locked.version != expected_version:
                raise ActionConflict(
                    "This escalation changed while you were looking at it. Read the latest record and try again."
                )
            if actor is not None and not actor.has_perm(ACTIONS[action].permission, locked):
                raise ActionNotPermitted("You are not allowed to do this on this escalation.")
            yield locked
    except ConcurrentTransition as exc:
        raise ActionConflict(
            "Someone else changed this escalation at the same moment. Read the latest record and try again."
        ) from exc


def _save(escalation: Escalation, fields: list[str]) -> None:
    escalation.version += 1
    escalation.save(update_fields=sorted({*fields, "state", "version"}))


def _proceed(escalation: Escalation, action: str) -> None:
    """Refuse (409) unless the action's transition may run now (``can_proceed``), saying why."""
    reason = refusal(ACTIONS[action], escalation)
    if reason is not None:
        raise ActionConflict(reason)


def _next_stage(escalation: Escalation) -> int:
    """The index of the next stage, which the transition's conditions have found; refuse if there is none."""
    nxt = escalation.next_stage_index()
    if nxt is None:
        raise ActionConflict("This is the last stage of the procedure: there is no higher level.")
    return nxt


# CONTRACT 8.4: a meeting is arranged no more than this far ahead, so that no stage is parked for ever.
MEETING_HORIZON = dt.timedelta(days=60)


def _meeting_problem(escalation: Escalation, meeting_at: object, *, what: str, now: dt.datetime) -> str | None:
    """Why the meeting cannot be at this moment (None if it can): no earlier than the stage began, and no
    more than 60 days ahead (CONTRACT 8.4)."""
    if not isinstance(meeting_at, dt.datetime) or timezone.is_naive(meeting_at):
        return f"Give the date and time of {what} with its time zone."
    if meeting_at < escalation.stage_started_at:
        return f"{what.capitalize()} cannot be before this stage began."
    if meeting_at > now + MEETING_HORIZON:
        return f"{what.capitalize()} must be within {MEETING_HORIZON.days} days from today."
    return None


# --- raise -------------------------------------------------------------------------------------------
def escalation_raise(
    *, raised_by: User, case: Case, ladder: Ladder, risk_level: str, category: str,
    decision_challenged: str, concern: str, basis: str, desired_outcome: str,
    receiving_organisation: Organisation | None = None, holder: User | None = None,
    now: dt.datetime | None = None, through: str = "",
) -> Escalation:
    """Raise a disagreement on a case: it enters the stage its risk level, its category's route and the
    raiser's own place set (CONTRACT 8.1), held by ``holder`` where named and eligible, else by the rule.

    ``through`` says what raised it on the raiser's behalf (``service_token:<prefix>``, an organisation's
    case-management system), kept in the raise's timeline entry."""
    now = now or timezone.now()
    if not raised_by.has_perm("escalations.raise_escalation"):
        raise ActionNotPermitted("Only staff of an organisation can raise an escalation.")
    errors: Errors = {}
    texts = {
        "decision_challenged": _text(errors, "decision_challenged", decision_challenged,
                                     label="The decision you challenge"),
        "concern": _text(errors, "concern", concern, label="Your concern"),
        "desired_outcome": _text(errors, "desired_outcome", desired_outcome, label="The outcome you want"),
    }
    if not Ladder.objects.usable_by(raised_by).filter(pk=ladder.pk).exists():
        errors["ladder"] = ["You cannot raise an escalation on this procedure."]
    if risk_level not in RiskLevel.values:
        errors["risk_level"] = ["Choose standard, significant_harm or imminent."]
    if basis not in Basis.values:
        errors["basis"] = ["Say whether the concern rests on evidence or professional judgement."]
    chosen = ladder.categories.filter(slug=category).first()
    if chosen is None:
        errors["category"] = ["Choose one of this procedure's categories."]
    elif not chosen.open_to(raised_by.role):
        roles = " or ".join(Role(role).label.lower() for role in chosen.raiser_roles if role in Role.values)
        errors["category"] = [f"Only a {roles} may raise '{chosen.label}'."]
    if ladder.holder_named_on_raise and holder is None:
        errors["holder"] = [f"Name the {ladder.stage(0).name.removeprefix('The ')} the concern is about."]
    if not case_list_visible(user=raised_by).filter(pk=case.pk).exists():
        errors["case"] = ["You cannot raise an escalation on this case."]
    needs_receiver = ladder.needs_receiving_organisation
    if needs_receiver:
        if receiving_organisation is None:
            errors["receiving_organisation"] = ["Choose the organisation whose decision you challenge."]
        elif receiving_organisation.pk == raised_by.organisation_id:
            errors["receiving_organisation"] = ["The receiving organisation must be another organisation."]
        elif not Organisation.objects.partners_under(ladder, excluding=raised_by.organisation_id).filter(
                pk=receiving_organisation.pk).exists():
            errors["receiving_organisation"] = ["That organisation is not a partner under this procedure."]
    elif receiving_organisation is not None and receiving_organisation.pk != raised_by.organisation_id:
        errors["receiving_organisation"] = ["This procedure is internal to your organisation: leave it empty."]
    _raise_if(errors)

    rule = ladder.rule_for(risk_level)
    try:
        entry = entry_stage_find(ladder=ladder, risk_level=risk_level, category=category, raised_by=raised_by)
    except EntryRefused as exc:
        raise ValidationError({"ladder": [exc.message]}) from exc
    with transaction.atomic():
        escalation: Escalation = Escalation(
            case=case, ladder=ladder, raising_organisation=raised_by.organisation,
            receiving_organisation=receiving_organisation if needs_receiver else None,
            risk_level=risk_level, category=category, basis=basis, raised_by=raised_by, raised_at=now, **texts,
        )
        try:
            stage_enter(escalation=escalation, index=entry.index, now=now, working_days=rule.entry_working_days,
                        holder=holder)
        except ActionConflict as exc:
            raise ValidationError({"ladder": [exc.message]}) from exc
        escalation.save()
        _participant_add(escalation, raised_by, "raiser")
        if ladder.holder_named_on_raise:
            _participant_add(escalation, escalation.holder, CONCERNED)
        worker = case.allocated_worker
        if ladder.allocated_worker_is_party and worker is not None and worker.is_active:
            _participant_add(escalation, worker, ALLOCATED_WORKER)  # Stoke 4: a party who sees every step
        _participant_add(escalation, escalation.holder, "holder")
        events.timeline_add(events.raised(escalation, actor=raised_by, concern=texts["concern"], at=now,
                                          through=through))
        notify(kind=Kind.ESCALATION_RAISED, escalation=escalation, actor=raised_by)
        if rule.alert_psw or risk_level in (RiskLevel.SIGNIFICANT_HARM, RiskLevel.IMMINENT):
            notify(kind=Kind.PSW_ALERT, escalation=escalation, actor=raised_by)
    return escalation


# --- the case's allocated worker ---------------------------------------------------------------------
# A former allocated worker keeps their participant row under this reason: they still see the escalation
# they were a party to (as a past holder does), but they are no longer told of each step and may no longer
# act at the informal stage (``rules.is_allocated_worker_here`` reads the case).
FORMER_ALLOCATED_WORKER = "former_allocated_worker"
# Participant reasons that say more than "allocated worker" (the rules read them): never overwritten.
_KEPT_REASONS = {"raiser", "holder", CONCERNED, "mediator", "panel"}


def case_get_or_create(*, organisation: Organisation, reference: str, display_name: str = "",
                       created_by: User | None = None, allocated_worker: User | None = None) -> tuple[Case, bool]:
    """Register or find a case (``cases.services.case_get_or_create``); where that gives a known case its
    first allocated worker, its live escalations follow (``case_allocated_worker_follow``)."""
    with transaction.atomic():
        before = None
        if allocated_worker is not None:
            before = Case.objects.filter(organisation=organisation, reference=(reference or "").strip()).values_list(
                "pk", "allocated_worker_id").first()
        case, created = case_services.case_get_or_create(
            organisation=organisation, reference=reference, display_name=display_name, created_by=created_by,
            allocated_worker=allocated_worker)
        if before is not None and before[1] != case.allocated_worker_id:
            case_allocated_worker_follow(case=case, previous=None, by=created_by)
    return case, created


def case_allocated_worker_change(*, case: Case, worker: User | None, by: User | None = None,
                                 now: dt.datetime | None = None) -> Case:
    """Allocate the case to another worker (or to nobody), and make its live escalations follow (``by``: who
    changed it, where a person did; they are not told of their own change)."""
    with transaction.atomic():
        locked: Case = Case.objects.select_for_update(of=("self",)).select_related("allocated_worker").get(pk=case.pk)
        previous = locked.allocated_worker
        if (previous.pk if previous else None) == (worker.pk if worker else None):
            return locked
        case_services.case_allocated_worker_set(case=locked, worker=worker)
        case_allocated_worker_follow(case=locked, previous=previous, by=by, now=now)
    return locked


def case_allocated_worker_follow(*, case: Case, previous: User | None, by: User | None = None,
                                 now: dt.datetime | None = None) -> list[int]:
    """The case's allocated worker changed (from ``previous``): on each live escalation of it whose ladder makes
    the worker a party (Stoke 4, CONTRACT 8.2), the new worker becomes that party and is told, the previous
    one a former party, with a timeline entry whose actor is the system. Returns the escalations changed."""
    now = now or timezone.now()
    worker: User | None = case.allocated_worker
    if worker is not None and not worker.is_active:
        worker = None
    ids = list(Escalation.objects.filter(case=case, state__in=LIVE_STATES, ladder__allocated_worker_is_party=True)
               .order_by("pk").values_list("pk", flat=True))
    changed: list[int] = []
    for pk in ids:
        with _changing(pk, actor=None, action="add_note") as esc:
            rows = {row.user_id: row for row in Participant.objects.filter(escalation=esc)}
            was = next((row for row in rows.values() if row.reason == ALLOCATED_WORKER), None)
            if worker is not None and was is not None and was.user_id == worker.pk:
                continue
            former = was.user if was is not None else previous
            if was is not None:
                was.reason = FORMER_ALLOCATED_WORKER
                was.save(update_fields=["reason"])
            if worker is not None and worker.pk != esc.raised_by_id:  # nobody answers their own challenge
                row = rows.get(worker.pk)
                if row is None:
                    Participant.objects.create(escalation=esc, user=worker, reason=ALLOCATED_WORKER)
                elif row.reason not in _KEPT_REASONS:
                    row.reason = ALLOCATED_WORKER
                    row.save(update_fields=["reason"])
            esc.version += 1
            esc.save(update_fields=["version"])
            events.timeline_add(events.allocated_worker_changed(esc, previous=former, worker=worker, at=now))
            notify(kind=Kind.ALLOCATED_WORKER_CHANGED, escalation=esc, actor=by,
                   discriminator=f"to{worker.pk if worker else 0}")
            changed.append(esc.pk)
    return changed


# --- the holder's actions ----------------------------------------------------------------------------
def escalation_arrange_meeting(*, escalation: Escalation, actor: User, meeting_at: dt.datetime,
                               expected_version: int | None = None) -> Escalation:
    return _meeting_set(escalation, action="arrange_meeting", actor=actor, meeting_at=meeting_at,
                        expected_version=expected_version)


def escalation_move_meeting(*, escalation: Escalation, actor: User, meeting_at: dt.datetime,
                            expected_version: int | None = None) -> Escalation:
    """The stage's meeting, at another time: the parties' calendars get an update of the same invitation."""
    return _meeting_set(escalation, action="move_meeting", actor=actor, meeting_at=meeting_at,
                        expected_version=expected_version)


def _meeting_set(escalation: Escalation, *, action: str, actor: User, meeting_at: dt.datetime,
                 expected_version: int | None) -> Escalation:
    if not isinstance(meeting_at, dt.datetime) or timezone.is_naive(meeting_at):
        raise ValidationError({"meeting_at": ["Give the meeting's date and time with its time zone."]})
    with _changing(escalation, actor=actor, action=action, expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, action)
        problem = _meeting_problem(esc, meeting_at, what="the meeting", now=timezone.now())
        if problem:
            raise ValidationError({"meeting_at": [problem]})
        getattr(esc, action)(meeting_at=meeting_at)
        _save(esc, ["meeting_at"])
        moved = action == "move_meeting"
        entry = events.meeting_moved if moved else events.meeting_arranged
        events.timeline_add(entry(esc, actor=actor, from_state=before, meeting_at=meeting_at))
        # A moved meeting is news of its own: its notice is not the arranged one's (a key of its own).
        notify(kind=Kind.MEETING_ARRANGED, escalation=esc, actor=actor,
               discriminator=f"moved:{meeting_at.astimezone(dt.UTC):%Y%m%dT%H%M%S}" if moved else "")
        # The parties' calendars: the invitation, or its update where the meeting moved (the same UID).
        meeting_invitation_send(esc, actor=actor, kind=Kind.MEETING_ARRANGED, now=timezone.now())
    return esc


def escalation_respond(*, escalation: Escalation, actor: User, decision: str, rationale: str,
                       outstanding_actions: str = "", expected_version: int | None = None) -> Escalation:
    """Record the holder's decision; an uphold at a final stage ends it, with how outstanding issues will be
    pursued (CONTRACT 8.3: written confirmation on every path to resolved)."""
    errors: Errors = {}
    if decision not in Decision.values:
        errors["decision"] = ["Choose agree or uphold."]
    rationale = _text(errors, "rationale", rationale, label="The rationale")
    outstanding_actions = _text(errors, "outstanding_actions", outstanding_actions,
                                label="How outstanding issues will be pursued", required=False)
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="respond", expected_version=expected_version) as esc:
        before, meeting = esc.state, esc.meeting_at
        _proceed(esc, "respond")
        if decision == Decision.UPHOLD and esc.stage.final and not outstanding_actions:
            raise ValidationError({"outstanding_actions": [
                "Enter how outstanding issues will be pursued: upholding the decision at this final stage ends "
                "the escalation."
            ]})
        esc.respond(decision=decision, rationale=rationale, now=timezone.now(),
                    outstanding_actions=outstanding_actions if esc.stage.final else "")
        _save(esc, ["decision", "rationale", "agreed_outcome", "outstanding_actions", "resolved_at", "closed_at"])
        events.timeline_add(events.responded(esc, actor=actor, from_state=before, rationale=rationale))
        notify(kind=Kind.RESPONSE_RECORDED, escalation=esc, actor=actor)
        if esc.state == State.RESOLVED:
            notify(kind=Kind.RESOLVED, escalation=esc, actor=actor)
            meeting_invitations_cancel(esc, had=meeting, now=timezone.now())
    return esc


def escalation_reassign(*, escalation: Escalation, actor: User, new_holder: User, reason: str,
                        expected_version: int | None = None) -> Escalation:
    """Give the stage to someone else (absence cover); the deadline stays."""
    errors: Errors = {}
    reason = _text(errors, "reason", reason, label="The reason")
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="reassign", expected_version=expected_version) as esc:
        _proceed(esc, "reassign")
        stage, organisation = esc.stage, esc.deadline_organisation
        if new_holder.pk == esc.holder_id:
            raise ValidationError({"new_holder": ["This person already holds it."]})
        if not holder_may_take(user=new_holder, stage=stage, organisation=organisation, holder=esc.holder,
                               raised_by=esc.raised_by):
            if stage.panel:
                raise ValidationError({"new_holder": [
                    "Choose another QA&P chair of the partnership who is not away: the resolution panel's stage is "
                    "the partnership's."
                ]})
            role = stage.responsible.replace("_", " ")
            raise ValidationError({"new_holder": [
                f"Choose an active {role} in {organisation.name}, or the holder's line manager, who is not away "
                "and is not the raiser or someone the raiser manages."
            ]})
        previous = esc.holder
        esc.reassign(new_holder=new_holder)
        _save(esc, ["holder"])
        _participant_add(esc, new_holder, "holder")
        events.timeline_add(events.reassigned(esc, actor=actor, reason=reason, previous_holder=previous))
        notify(kind=Kind.REASSIGNED, escalation=esc, actor=actor, previous_holder=previous,
               discriminator=f"to{new_holder.pk}")
    return esc


@dataclass(frozen=True)
class HandedOver:
    """One live stage of a holder who is away or has left: who took it (None: nobody could)."""

    escalation_id: int
    to: User | None
    as_cover: bool


def _hand_over_to(esc: Escalation, *, person: User, cover: User | None, day: dt.date) -> tuple[User | None, bool]:
    """The cover where eligible for the stage; else the next holder by the section 8.1 rule; else the
    person's own line manager; None where nobody may take it."""
    stage, organisation = esc.stage, esc.deadline_organisation

    def may_take(user: User | None) -> bool:
        return user is not None and holder_may_take(user=user, stage=stage, organisation=organisation,
                                                    holder=person, raised_by=esc.raised_by, day=day)

    if may_take(cover):
        return cover, True
    if stage.panel:  # the partnership's stage: another QA&P chair, never an agency's manager
        chair = panel_chair_find(stage=stage, ladder=esc.ladder, on=day, exclude={person.pk})
        return (chair, False) if may_take(chair) else (None, False)
    found = holder_find(stage=stage, raised_by=esc.raised_by, raising_organisation=esc.raising_organisation,
                        receiving_organisation=esc.receiving_organisation, exclude={person.pk})
    if may_take(found):
        return found, False
    manager = holder_line_manager(holder=person, organisation=organisation)
    if may_take(manager):
        return manager, False
    return None, False


def escalations_hand_over(*, person: User, now: dt.datetime, reason: str, cover: User | None = None,
                          absence: int | None = None) -> list[HandedOver]:
    """Pass every live stage ``person`` holds to ``cover`` (where eligible for the stage) or to the next
    holder by the section 8.1 rule, as the system: used when an absence begins and when someone leaves.

    Each escalation goes through the door on its own (locked, its version counted): one ``hand_over``
    timeline entry (``reason`` and who took it; actor: the system), the new holder a participant and
    told with the raiser. The deadline stays with the stage. A stage nobody may take stays where it is,
    reported with ``to=None``. ``absence`` is the id of the absence that caused it, kept on the entry.
    """
    day = clock.local(now).date()
    ids = list(Escalation.objects.filter(holder=person, state__in=LIVE_STATES).order_by("pk")
               .values_list("pk", flat=True))
    done: list[HandedOver] = []
    for pk in ids:
        with _changing(pk, actor=None, action="reassign") as esc:
            if esc.holder_id != person.pk or refusal(ACTIONS["reassign"], esc) is not None:
                continue  # it changed hands or closed since the list was read
            new_holder, as_cover = _hand_over_to(esc, person=person, cover=cover, day=day)
            if new_holder is None:
                done.append(HandedOver(esc.pk, None, False))
                continue
            esc.reassign(new_holder=new_holder)
            _save(esc, ["holder"])
            _participant_add(esc, new_holder, "holder")
            events.timeline_add(events.handed_over(esc, reason=reason, previous_holder=person, as_cover=as_cover,
                                                   absence_id=absence, at=now))
            notify(kind=Kind.REASSIGNED, escalation=esc, previous_holder=person,
                   discriminator=f"to{new_holder.pk}")
            done.append(HandedOver(esc.pk, new_holder, as_cover))
    return done


# --- the raiser's (and PSW's) actions ----------------------------------------------------------------
def escalation_accept(*, escalation: Escalation, actor: User, agreed_outcome: str, outstanding_actions: str,
                      expected_version: int | None = None) -> Escalation:
    errors: Errors = {}
    agreed_outcome = _text(errors, "agreed_outcome", agreed_outcome, label="The agreed outcome")
    outstanding_actions = _text(errors, "outstanding_actions", outstanding_actions,
                                label="How outstanding issues will be pursued")
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="accept", expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, "accept")
        now = timezone.now()
        esc.accept(agreed_outcome=agreed_outcome, outstanding_actions=outstanding_actions, now=now)
        _save(esc, ["agreed_outcome", "outstanding_actions", "resolved_at", "closed_at"])
        events.timeline_add(events.accepted(esc, actor=actor, from_state=before))
        notify(kind=Kind.RESOLVED, escalation=esc, actor=actor)
        meeting_invitations_cancel(esc, had=esc.meeting_at, now=now)
    return esc


def _climb(esc: Escalation, *, to_stage: int, actor: User | None, entry: events.Climbed, before: str,
           reason: str, kind: str, now: dt.datetime, require_holder: bool = True,
           holder: User | None = None) -> None:
    meeting = esc.meeting_at  # the stage it leaves: its meeting, if one is still to come, is cancelled
    previous = stage_enter(escalation=esc, index=to_stage, now=now, require_holder=require_holder, holder=holder)
    _save(esc, [*STAGE_FIELDS, "resolved_at", "closed_at", "times_reopened", "times_auto_advanced"])
    _participant_add(esc, esc.holder, "holder")
    events.timeline_add(entry(esc, actor=actor, from_state=before, reason=reason, at=now))
    notify(kind=kind, escalation=esc, actor=actor, previous_holder=previous)
    meeting_invitations_cancel(esc, had=meeting, now=now)


def _to_next_stage(*, escalation: Escalation, actor: User, reason: str, expected_version: int | None,
                   action: str, entry: events.Climbed, kind: str, holder: User | None = None) -> Escalation:
    """Fire ``action`` (escalate or reopen) to the next stage: open there, with its holder and deadline."""
    errors: Errors = {}
    reason = _text(errors, "reason", reason, label="The reason")
    _raise_if(errors)
    with _changing(escalation, actor=actor, action=action, expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, action)
        nxt = _next_stage(esc)
        getattr(esc, action)(to_stage=nxt)
        _climb(esc, to_stage=nxt, actor=actor, entry=entry, before=before, reason=reason, kind=kind,
               now=timezone.now(), holder=holder)
    return esc


def escalation_escalate(*, escalation: Escalation, actor: User, reason: str, holder: User | None = None,
                        expected_version: int | None = None) -> Escalation:
    """Climb to the next stage (of the category's route): open again with the new stage's holder, the one
    named where eligible (CONTRACT 8.1), and its deadline."""
    return _to_next_stage(escalation=escalation, actor=actor, reason=reason, expected_version=expected_version,
                          action="escalate", entry=events.escalated, kind=Kind.STAGE_ESCALATED, holder=holder)


def escalation_skip(*, escalation: Escalation, actor: User, to_stage: object, reason: str,
                    holder: User | None = None, expected_version: int | None = None) -> Escalation:
    """Go straight to a later stage the ladder lets a skip reach, with a reason (Stoke 5; Bexley 4.5)."""
    errors: Errors = {}
    reason = _text(errors, "reason", reason, label="The reason for skipping")
    if isinstance(to_stage, bool) or not isinstance(to_stage, int):
        errors["to_stage"] = ["Give the number of the stage to go to."]
        raise ValidationError(errors)
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="skip", expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, "skip")
        targets = [stage.index for stage in esc.skip_targets()]
        if to_stage not in targets:
            if esc.ladder.has_stage(to_stage) and esc.ladder.stage(to_stage).exceptional:
                message = "An exceptional stage cannot be reached by skipping."
            else:
                message = (f"Choose one of the stages this procedure lets it skip to: "
                           f"{', '.join(str(index) for index in targets)}.")
                if to_stage == esc.stage_index + 1:
                    message += " To go to the next stage, escalate."
            raise ValidationError({"to_stage": [message]})
        esc.skip(to_stage=to_stage)
        _climb(esc, to_stage=to_stage, actor=actor, entry=events.skipped, before=before, reason=reason,
               kind=Kind.STAGE_ESCALATED, now=timezone.now(), holder=holder)
    return esc


def escalation_withdraw(*, escalation: Escalation, actor: User, reason: str,
                        expected_version: int | None = None) -> Escalation:
    errors: Errors = {}
    reason = _text(errors, "reason", reason, label="The reason")
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="withdraw", expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, "withdraw")
        now = timezone.now()
        esc.withdraw(now=now)
        _save(esc, ["closed_at"])
        events.timeline_add(events.withdrawn(esc, actor=actor, from_state=before, reason=reason))
        notify(kind=Kind.WITHDRAWN, escalation=esc, actor=actor)
        meeting_invitations_cancel(esc, had=esc.meeting_at, now=now)
    return esc


def escalation_reopen(*, escalation: Escalation, actor: User, reason: str,
                      expected_version: int | None = None) -> Escalation:
    """A decision overturned higher up (Bexley 3.7): open again at the next stage."""
    return _to_next_stage(escalation=escalation, actor=actor, reason=reason, expected_version=expected_version,
                          action="reopen", entry=events.reopened, kind=Kind.REOPENED)


# --- multi-agency ------------------------------------------------------------------------------------
def escalation_start_mediation(*, escalation: Escalation, actor: User, mediator: User,
                               expected_version: int | None = None) -> Escalation:
    with _changing(escalation, actor=actor, action="start_mediation", expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, "start_mediation")
        if mediator is None or not mediator.is_active:
            raise ValidationError({"mediator": ["Choose an active person as mediator."]})
        if not mediators_eligible(esc).filter(pk=mediator.pk).exists():
            raise ValidationError({"mediator": [
                "Choose the partnership's QA&P chair or someone from another organisation of the partnership "
                "(neither the raising nor the receiving one) who has never held this escalation: the mediator is "
                "never the decision maker."
            ]})
        esc.start_mediation(mediator=mediator)
        _save(esc, ["mediator"])
        _participant_add(esc, mediator, "mediator")
        _qap_chairs_add(esc)
        events.timeline_add(events.mediation_started(esc, actor=actor, from_state=before, mediator=mediator))
        notify(kind=Kind.MEDIATION_STARTED, escalation=esc, actor=actor)
    return esc


def _qap_chairs_add(escalation: Escalation) -> None:
    """Draw the partnership's QA&P chair in (told of a mediation, CONTRACT 8.2): the chair may then see it and act."""
    for chair in qap_chairs(escalation):
        _participant_add(escalation, chair, "qap_chair")


def escalation_end_mediation(*, escalation: Escalation, actor: User, note: str, agreed: object,
                             agreed_outcome: str = "", outstanding_actions: str = "",
                             expected_version: int | None = None) -> Escalation:
    """End mediation: agreed, resolved with the written confirmation (CONTRACT 8.3); else back to the stage."""
    errors: Errors = {}
    note = _text(errors, "note", note, label="The outcome of the mediation")
    if not isinstance(agreed, bool):
        errors["agreed"] = ["Say whether the parties agreed (true or false)."]
        raise ValidationError(errors)
    agreed_outcome = _text(errors, "agreed_outcome", agreed_outcome, label="The agreed outcome", required=agreed)
    outstanding_actions = _text(errors, "outstanding_actions", outstanding_actions,
                                label="How outstanding issues will be pursued", required=agreed)
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="end_mediation", expected_version=expected_version) as esc:
        before, meeting = esc.state, esc.meeting_at
        _proceed(esc, "end_mediation")
        now = timezone.now()
        esc.end_mediation(agreed=agreed, now=now, agreed_outcome=agreed_outcome if agreed else "",
                          outstanding_actions=outstanding_actions if agreed else "")
        fields = ["agreed_outcome", "outstanding_actions", "resolved_at", "closed_at"]
        if not agreed:
            # Back to the same stage with a fresh deadline; whoever held it (absence cover included) keeps it.
            holder = esc.holder
            stage_enter(escalation=esc, index=esc.stage_index, now=now, require_holder=False)
            if holder is not None and holder.is_active:
                esc.holder = holder
            fields += STAGE_FIELDS
        _save(esc, fields)
        _qap_chairs_add(esc)
        events.timeline_add(events.mediation_ended(esc, actor=actor, from_state=before, note=note, agreed=agreed))
        notify(kind=Kind.MEDIATION_ENDED, escalation=esc, actor=actor)
        if agreed:
            notify(kind=Kind.RESOLVED, escalation=esc, actor=actor)
        # Resolved, or back to the stage afresh (a new meeting is a new one): the stage's meeting is over.
        meeting_invitations_cancel(esc, had=meeting, now=now)
    return esc


def escalation_log_with_board(*, escalation: Escalation, actor: User, reason: str,
                              kind: str = BoardLogKind.SERIOUS_CONCERN,
                              expected_version: int | None = None) -> Escalation:
    """Wiltshire 3a/3b: log a serious concern, or an unresolved case, with the QA&P chair; each kind once.

    ``board_logged_at`` keeps the first log (the reports count it); each log is a ``BoardLog``.
    """
    errors: Errors = {}
    reason = _text(errors, "reason", reason, label="The reason")
    if kind not in BoardLogKind.values:
        errors["kind"] = ["Choose serious_concern or unresolved."]
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="log_with_board", expected_version=expected_version) as esc:
        _proceed(esc, "log_with_board")
        if BoardLog.objects.filter(escalation=esc, kind=kind).exists():
            raise ActionConflict(f"This escalation is already logged with the board as "
                                 f"{BoardLogKind(kind).label[0].lower()}{BoardLogKind(kind).label[1:]}.")
        now = timezone.now()
        esc.log_with_board(now=now)
        _save(esc, ["board_logged_at"])
        BoardLog.objects.create(escalation=esc, kind=kind, at=now, by=actor, reason=reason)
        events.timeline_add(events.logged_with_board(esc, actor=actor, reason=reason, kind=kind))
        notify(kind=Kind.BOARD_LOGGED, escalation=esc, actor=actor)
    return esc


def escalation_convene_panel(*, escalation: Escalation, actor: User, members: list[User],
                             meeting_at: dt.datetime, expected_version: int | None = None) -> Escalation:
    """The QA&P chair convenes the resolution panel (001): its members see the escalation and are told."""
    if not isinstance(meeting_at, dt.datetime) or timezone.is_naive(meeting_at):
        raise ValidationError({"meeting_at": ["Give the panel meeting's date and time with its time zone."]})
    with _changing(escalation, actor=actor, action="convene_panel", expected_version=expected_version) as esc:
        before = esc.state
        _proceed(esc, "convene_panel")
        errors: Errors = {}
        problems = panel_problems(esc, list(members))
        if problems:
            errors["members"] = problems
        problem = _meeting_problem(esc, meeting_at, what="the panel meeting", now=timezone.now())
        if problem:
            errors["meeting_at"] = [problem]
        _raise_if(errors)
        now = timezone.now()
        esc.convene_panel(meeting_at=meeting_at)
        _save(esc, ["meeting_at"])
        seated = sorted({member.pk: member for member in members}.values(), key=lambda member: member.username)
        PanelMember.objects.bulk_create([PanelMember(escalation=esc, user=member, added_at=now) for member in seated])
        for member in seated:
            _participant_add(esc, member, "panel")
        events.timeline_add(events.panel_convened(esc, actor=actor, from_state=before, members=seated,
                                                  meeting_at=meeting_at))
        notify(kind=Kind.PANEL_CONVENED, escalation=esc, actor=actor)
        meeting_invitation_send(esc, actor=actor, kind=Kind.PANEL_CONVENED, now=now)
    return esc


def escalation_record_debrief(*, escalation: Escalation, actor: User, note: str) -> Escalation:
    """A party's debrief after resolution (001), once each; the escalation does not change."""
    errors: Errors = {}
    note = _text(errors, "note", note, label="Your debrief")
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="record_debrief") as esc:
        _proceed(esc, "record_debrief")
        if Debrief.objects.filter(escalation=esc, by=actor).exists():
            raise ActionConflict("You have recorded your debrief on this escalation already.")
        esc.record_debrief()
        Debrief.objects.create(escalation=esc, by=actor, note=note)
        events.timeline_add(events.debrief_recorded(esc, actor=actor, note=note))
    return esc


def escalation_add_note(*, escalation: Escalation, actor: User, note: str) -> Escalation:
    """A note on the timeline (a PSW's advice, a phone call); changes nothing else."""
    errors: Errors = {}
    note = _text(errors, "note", note, label="The note")
    _raise_if(errors)
    with _changing(escalation, actor=actor, action="add_note") as esc:
        _proceed(esc, "add_note")
        esc.add_note()
        _participant_add(esc, actor, "note")
        events.timeline_add(events.note_added(esc, actor=actor, note=note))
    return esc


# --- the clock ---------------------------------------------------------------------------------------
# ``deadlines.sweep`` finds the escalations whose deadline has passed, claims a batch of them and
# decides each in memory with the transitions and ``stage_enter`` above; this door writes what it
# decided, a whole batch in a handful of bulk statements.


@dataclass(frozen=True)
class DeadlineAdvanced:
    """The stage deadline passed and the ladder's rule moved the escalation on (already, in memory)."""

    escalation: Escalation
    from_state: str
    from_stage_name: str
    previous_holder: User | None
    missed: dt.datetime
    late_meeting: dt.datetime | None = None  # a meeting arranged too late to stop the clock (CONTRACT 8.4)


@dataclass(frozen=True)
class DeadlineMissed:
    """The stage deadline passed with no meeting arranged and the ladder's rule says tell.

    ``next_stage_name`` is the stage the raiser may proceed to (None at the last stage);
    ``tell_psw``: the rule would advance but there is nowhere to go, so the PSW is told whatever
    the risk level (CONTRACT section 3).
    """

    escalation: Escalation
    missed: dt.datetime
    rule: str
    next_stage_name: str | None
    tell_psw: bool
    late_meeting: dt.datetime | None = None  # a meeting arranged too late to stop the clock (CONTRACT 8.4)


@dataclass(frozen=True)
class DeadlineMet:
    """The stage deadline passed, but a meeting was arranged in time (Bexley 5.4): handled, nobody told."""

    escalation: Escalation


@dataclass(frozen=True)
class OverallDeadlineMissed:
    """The procedure's overall timescale passed (Stoke 4): tell the raiser, the holder and the PSW once."""

    escalation: Escalation


DeadlineAction: TypeAlias = DeadlineAdvanced | DeadlineMissed | DeadlineMet | OverallDeadlineMissed

# Escalation fields an advance sets (``version`` and ``times_auto_advanced`` are counted up in the
# database).
ADVANCE_FIELDS = sorted({*STAGE_FIELDS, "state", "resolved_at", "closed_at"})
_ADVANCE_ATTNAMES = [Escalation._meta.get_field(name).attname for name in ADVANCE_FIELDS]


def _advance_groups(advanced: list[Escalation]) -> list[tuple[dict[str, object], list[int]]]:
    """Group advanced escalations that got the same new values: one UPDATE per group.

    Escalations advanced in one sweep mostly share them (the same stage, holder and deadline), so
    this is a few statements; Django's ``bulk_update`` builds a CASE per field and row, which cost
    more in Python than the whole rest of the batch (bench/sweep.py).
    """
    groups: dict[tuple[tuple[str, object], ...], tuple[dict[str, object], list[int]]] = {}
    for esc in advanced:
        values = {attname: getattr(esc, attname) for attname in _ADVANCE_ATTNAMES}
        key = tuple(sorted(values.items()))
        groups.setdefault(key, (values, []))[1].append(esc.pk)
    return list(groups.values())


def escalations_deadline_actions_apply(*, actions: list[DeadlineAction], now: dt.datetime,
                                       parties: Parties | None = None) -> int:
    """Write what the deadline clock decided for a batch of escalations; return the notifications created.

    The caller holds the rows: ``deadlines.sweep`` claimed them in the enclosing transaction, so each
    deadline is handled once. The writes: one UPDATE per group of escalations advanced alike, one for
    the stage deadlines handled, one for the overall ones, each counting the change in ``version``
    once an escalation (so a form opened before it is refused, as for any change; one write a row,
    where a claim that counted it first wrote every row twice, each time into all its indexes); the
    new holders as participants; the timeline entries (actor empty: the system) and the notifications
    in bulk, their e-mail queued once the transaction commits. ``parties`` is what the caller has
    loaded of the batch's people.
    """
    advanced: list[Escalation] = []
    handled: list[int] = []  # the current stage deadline is now handled
    overall: list[int] = []  # the overall deadline is now handled
    holders: list[Participant] = []
    entries: list[TimelineEntry] = []
    notices: list[Notice] = []
    late_meetings: list[int] = []  # advanced past a meeting still to come: it is cancelled
    for action in actions:
        esc = action.escalation
        if isinstance(action, DeadlineAdvanced):
            esc.times_auto_advanced += 1
            advanced.append(esc)
            if esc.holder_id:
                holders.append(Participant(escalation=esc, user=esc.holder, reason="holder"))
            entries.append(events.auto_advanced(esc, from_state=action.from_state,
                                                from_stage_name=action.from_stage_name, missed=action.missed,
                                                at=now, late_meeting=action.late_meeting))
            notices.append(Notice(Kind.AUTO_ADVANCED, esc, deadline=esc.stage_deadline,
                                  previous_holder=action.previous_holder))
            if action.late_meeting is not None and action.late_meeting > now:
                late_meetings.append(esc.pk)
        elif isinstance(action, DeadlineMissed):
            handled.append(esc.pk)
            entries.append(events.deadline_missed(esc, missed=action.missed, rule=action.rule,
                                                  next_stage_name=action.next_stage_name, at=now,
                                                  late_meeting=action.late_meeting))
            # The table adds the PSW for serious risk levels; ``tell_psw`` whatever the level.
            notices.append(Notice(Kind.DEADLINE_MISSED, esc, deadline=action.missed,
                                  extra_parts=(PSW,) if action.tell_psw else ()))
        elif isinstance(action, DeadlineMet):
            handled.append(esc.pk)
        else:
            esc.overall_deadline_handled = True
            overall.append(esc.pk)
            entries.append(events.overall_deadline_missed(esc, days=esc.ladder.overall_working_days, at=now))
            notices.append(Notice(Kind.OVERALL_DEADLINE_MISSED, esc, deadline=esc.overall_deadline))
    # An escalation whose stage and overall deadlines are handled together is counted once, by the first.
    counted = {esc.pk for esc in advanced} | set(handled)
    overall_also = [pk for pk in overall if pk in counted]
    for esc in {id(action.escalation): action.escalation for action in actions}.values():
        esc.version += 1
    with transaction.atomic():
        for values, ids in _advance_groups(advanced):
            Escalation.objects.filter(pk__in=ids).update(**values, times_auto_advanced=F("times_auto_advanced") + 1,
                                                         version=F("version") + 1)
        if handled:
            Escalation.objects.filter(pk__in=handled).update(missed_deadline_handled=F("stage_deadline"),
                                                             version=F("version") + 1)
        if overall:
            once = (SQLCase(When(pk__in=overall_also, then=F("version")), default=F("version") + 1) if overall_also
                    else F("version") + 1)
            Escalation.objects.filter(pk__in=overall).update(overall_deadline_handled=True, version=once)
        if holders:
            Participant.objects.bulk_create(holders, ignore_conflicts=True)
        events.timeline_add_many(entries)
        if late_meetings:
            meeting_invitations_cancel_many(late_meetings, now=now)
        return escalations_notify_many(notices, parties=parties)
