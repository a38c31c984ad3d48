"""Every read the escalation pages need, with the joins that keep their query counts flat."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as Conditional
from django.db.models import F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from cases.models import Case
from organisations.models import Absence, Organisation, User
from policies import clock
from policies.models import Ladder, RiskLevel, Stage

from .actions import ACTIONS, ActionSpec
from .eligibility import mediators_eligible, panel_members_eligible
from .events import Action
from .holders import EntryRefused, eligible_roles, entry_stage_find, holder_candidates, holder_find, holder_line_manager
from .models import (
    AWAITING_HOLDER,
    LIVE_STATES,
    Attachment,
    Debrief,
    Escalation,
    EscalationQuerySet,
    PanelMember,
    TimelineEntry,
    overdue_condition,
)
from .services import stage_deadline_for

# Timeline actions that put the escalation at a stage (and start that stage's clock).
STAGE_ENTRIES = (Action.RAISE, Action.ESCALATE, Action.SKIP, Action.REOPEN, Action.AUTO_ADVANCE)


def _for_pages(queryset: EscalationQuerySet) -> EscalationQuerySet:
    """Join what a row shows (case, ladder, people, organisations and their closure days) and prefetch
    the ladder's stages and categories, so that stage names, category labels and the red/amber/green
    status cost no query per row."""
    return queryset.with_related().prefetch_related("ladder__stages", "ladder__categories")


def escalation_list_raised(*, user: User, now: dt.datetime | None = None) -> QuerySet[Escalation]:
    """Every escalation the person raised, where their work is first (``filters.EscalationListFilter`` narrows it).

    1. the overdue ones, where the holder has missed a deadline and the raiser may proceed, the longest
       overdue first;
    2. the other live ones, the earliest deadline first;
    3. the closed ones last, the most recently raised first.
    """
    now = now or timezone.now()
    return _for_pages(Escalation.objects.filter(raised_by=user)).annotate(
        place=Conditional(When(overdue_condition(now), then=Value(0)), When(state__in=LIVE_STATES, then=Value(1)),
                          default=Value(2), output_field=IntegerField()),
        live_deadline=Conditional(When(state__in=LIVE_STATES, then=F("stage_deadline")), default=None),
    ).order_by("place", F("live_deadline").asc(nulls_last=True), "-raised_at", "-pk")


def escalation_list_held(*, user: User) -> QuerySet[Escalation]:
    """Every escalation the person holds, or may answer as the case's allocated worker at a stage that lets
    them (Stoke 4): those awaiting their response first, earliest deadline first."""
    answerable = Escalation.objects.filter(
        case__allocated_worker=user, ladder__stages__index=F("stage_index"), ladder__stages__allocated_worker_acts=True,
    ).exclude(raised_by=user).order_by().values("pk")
    # One id subquery (a UNION of two index scans), not ``holder = … OR id IN (…)``: an OR with a subquery
    # cannot use the holder's index, and PostgreSQL then reads every live escalation (docs/performance.md).
    held = Escalation.objects.filter(holder=user).order_by().values("pk").union(answerable)
    return _for_pages(Escalation.objects.filter(pk__in=held)).annotate(
        awaiting=Conditional(When(state__in=AWAITING_HOLDER, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
    ).order_by("awaiting", "stage_deadline", "pk")


def escalation_list_team(*, user: User, below: set[int] | None = None) -> QuerySet[Escalation]:
    """Escalations raised or held by anyone below the person in the line-management chain.

    ``below`` is ``user.reports_below()`` when the caller has it already (it costs a query a level).
    Every such escalation is visible to the manager (``visible_to`` grants the chain), so the
    chain is the whole filter.
    """
    below = user.reports_below() if below is None else below
    if not below:
        nobody: QuerySet[Escalation] = Escalation.objects.none()
        return nobody
    queryset: EscalationQuerySet = Escalation.objects.filter(Q(raised_by_id__in=below) | Q(holder_id__in=below))
    return _for_pages(queryset).order_by("stage_deadline", "pk")


def escalation_list_on_my_cases(*, user: User) -> QuerySet[Escalation]:
    """Escalations about the cases allocated to the person, that they may see (Stoke 4: the allocated social
    worker is a party to the dispute about their case), most urgent first."""
    queryset: EscalationQuerySet = Escalation.objects.visible_to(user).filter(case__allocated_worker=user)
    return _for_pages(queryset).order_by("stage_deadline", "pk")


def ladders_in(queryset: QuerySet[Escalation]) -> QuerySet[Ladder]:
    """The current ladders an unfiltered list draws on: the choices of its ladder filter."""
    slugs = queryset.order_by().values("ladder__slug")
    return Ladder.objects.current().filter(slug__in=slugs).order_by("name")


def escalation_get(*, user: User, pk: int) -> Escalation:
    """Return the escalation with everything its page shows; 404 unless the person may see it."""
    try:
        return (
            _for_pages(Escalation.objects.visible_to(user))
            .prefetch_related(
                "ladder__risk_rules", "board_logs",
                Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
                Prefetch("panel_members", queryset=PanelMember.objects.select_related(
                    "user", "user__organisation", "user__partnership")),
                Prefetch("debriefs", queryset=Debrief.objects.select_related("by", "by__organisation",
                                                                             "by__partnership")),
            )
            .get(pk=pk)
        )
    except Escalation.DoesNotExist as exc:
        raise Http404("No escalation found") from exc


def escalation_timeline(*, escalation: Escalation) -> list[TimelineEntry]:
    """Every entry of the timeline, oldest first, with who did it."""
    return list(
        TimelineEntry.objects.filter(escalation=escalation)
        .select_related("actor", "actor__organisation", "actor__partnership")
        .order_by("at", "pk")
    )


@dataclass(frozen=True)
class StageVisit:
    """One time the escalation was at a stage: when it got there and by when the holder had to answer."""

    stage: Stage
    entered_at: dt.datetime
    deadline: dt.datetime
    current: bool


def stage_history(*, escalation: Escalation, timeline: list[TimelineEntry]) -> dict[int, list[StageVisit]]:
    """Return, by stage index, each visit to that stage with its deadline (the clock's, from the timeline).

    The current visit shows the escalation's own deadline, which absence cover or a fresh
    mediation deadline may have moved; earlier ones are recomputed from when the stage began.
    """
    ladder = escalation.ladder
    entries = [
        e for e in timeline
        if e.action in STAGE_ENTRIES or (e.action == Action.END_MEDIATION and not e.params.get("agreed"))
    ]
    visits: dict[int, list[StageVisit]] = {}
    for position, entry in enumerate(entries):
        if not ladder.has_stage(entry.stage_index):
            continue
        stage = ladder.stage(entry.stage_index)
        is_current = position == len(entries) - 1 and entry.stage_index == escalation.stage_index
        if is_current:
            deadline = escalation.stage_deadline
        else:
            days = stage.working_days
            if entry.action == Action.RAISE:
                rule = ladder.rule_for(escalation.risk_level)
                if rule.entry_working_days is not None:
                    days = rule.entry_working_days
            deadline = stage_deadline_for(escalation=escalation, stage=stage, start=entry.at, working_days=days)
        visits.setdefault(entry.stage_index, []).append(
            StageVisit(stage=stage, entered_at=entry.at, deadline=deadline, current=is_current)
        )
    return visits


def escalation_parties(*, escalation: Escalation) -> list[tuple[User, str]]:
    """The people drawn into the escalation and why (raiser, holder, mediator, ...), first first."""
    return [
        (participant.user, participant.reason)
        for participant in escalation.participants.select_related(
            "user", "user__organisation", "user__partnership").order_by("pk")
    ]


def cases_for_raising(*, user: User) -> QuerySet[Case]:
    """The cases of the person's organisation, to pick one to raise a disagreement on."""
    if user.organisation_id is None:
        return Case.objects.none()
    return Case.objects.filter(organisation_id=user.organisation_id).order_by("reference")


def allocated_worker_choices(*, user: User) -> QuerySet[User]:
    """The active staff of the person's organisation, to record who a new case is allocated to."""
    if user.organisation_id is None:
        return User.objects.none()
    return (User.objects.filter(organisation_id=user.organisation_id, is_active=True)
            .select_related("organisation").order_by("last_name", "first_name", "username"))


def ladders_for_raising(*, user: User) -> QuerySet[Ladder]:
    return Ladder.objects.usable_by(user).select_related("organisation", "partnership").order_by("name")


@dataclass(frozen=True)
class RaisePreview:
    """Where a new escalation would go: its entry stage, holder (if known yet) and deadline; or, in
    ``refused``, why this person cannot raise on the ladder at this risk level (CONTRACT 8.1)."""

    stage: Stage | None
    holder: User | None
    deadline: dt.datetime | None
    in_receiving_organisation: bool
    refused: str = ""
    named_on_raise: bool = False  # the raiser names the holder (Stoke 9): no one is chosen for them


def raise_preview(*, user: User, ladder: Ladder, risk_level: str, category: str = "",
                  now: dt.datetime | None = None) -> RaisePreview | None:
    """Say where an escalation on this ladder at this risk level (and category, where chosen) would go,
    before it is raised: the entry stage and holder by the rules the raise itself applies."""
    if risk_level not in RiskLevel.values:
        return None
    organisation = user.organisation
    if organisation is None:  # only an organisation's staff raise (ladders_for_raising offers them none)
        return None
    now = now or timezone.now()
    rule = ladder.rule_for(risk_level)
    try:
        stage = entry_stage_find(ladder=ladder, risk_level=risk_level, category=category, raised_by=user)
    except EntryRefused as refused:
        return RaisePreview(stage=None, holder=None, deadline=None, in_receiving_organisation=False,
                            refused=refused.message)
    if stage.in_receiving_organisation:
        # The holder and the calendar are the receiving organisation's, chosen on the next page.
        return RaisePreview(stage=stage, holder=None, deadline=None, in_receiving_organisation=True)
    days = stage.working_days if rule.entry_working_days is None else rule.entry_working_days
    due = clock.deadline(now, days, closure_days=organisation.closure_dates(),
                         close_of_business=organisation.close_of_business)
    if ladder.holder_named_on_raise:
        return RaisePreview(stage=stage, holder=None, deadline=due, in_receiving_organisation=False,
                            named_on_raise=True)
    holder = holder_find(stage=stage, raised_by=user, raising_organisation=organisation,
                         on=clock.local(now).date())
    return RaisePreview(stage=stage, holder=holder, deadline=due, in_receiving_organisation=False)


@dataclass(frozen=True)
class HolderGroup:
    """The people who may be named to hold one stage the raise may enter, in one organisation."""

    stage: Stage
    organisation_name: str
    people: list[User]


def raise_holder_choices(*, user: User, ladder: Ladder, risk_level: str) -> list[HolderGroup]:
    """Who the raise page offers as "who should hold it": the eligible people of every stage the raise may
    enter (its categories' routes; on a multi-agency ladder, in each partner organisation)."""
    organisation = user.organisation
    if organisation is None or risk_level not in RiskLevel.values:
        return []
    stages: dict[int, Stage] = {}
    for category in ladder.categories.all():
        if not category.open_to(user.role):
            continue
        try:
            stage = entry_stage_find(ladder=ladder, risk_level=risk_level, category=category.slug, raised_by=user)
        except EntryRefused:
            continue
        stages.setdefault(stage.index, stage)
    groups = []
    for stage in sorted(stages.values(), key=lambda s: s.index):
        if stage.in_receiving_organisation:
            partners = list(Organisation.objects.partners_under(ladder, excluding=organisation.pk))
        else:
            partners = [organisation]
        for partner in partners:
            people = holder_candidates(stage=stage, raised_by=user, raising_organisation=organisation,
                                       receiving_organisation=partner)
            if people:
                groups.append(HolderGroup(stage=stage, organisation_name=partner.name, people=people))
    return groups


def escalate_holder_candidates(*, escalation: Escalation) -> QuerySet[User]:
    """Who may be named to hold the next stage (the escalate form's optional choice)."""
    nxt = escalation.next_stage_index()
    return _people([] if nxt is None else _stage_candidates(escalation, nxt))


def skip_holder_candidates(*, escalation: Escalation) -> QuerySet[User]:
    """Who may be named to hold any stage a skip may reach (the skip form's optional choice)."""
    return _people([person for stage in escalation.skip_targets()
                    for person in _stage_candidates(escalation, stage.index)])


def _stage_candidates(escalation: Escalation, index: int) -> list[User]:
    return holder_candidates(stage=escalation.ladder.stage(index), raised_by=escalation.raised_by,
                             raising_organisation=escalation.raising_organisation,
                             receiving_organisation=escalation.receiving_organisation)


def _people(people: list[User]) -> QuerySet[User]:
    return (User.objects.filter(pk__in={person.pk for person in people})
            .select_related("organisation", "partnership").order_by("last_name", "first_name", "username"))


def reassign_candidates(*, escalation: Escalation) -> QuerySet[User]:
    """Active people who may hold the current stage instead of its holder (absence cover): the stage's
    role (or tier) in its organisation, and the holder's own line manager, so that the list is never
    empty while the holder has a manager (CONTRACT section 8.5); never the raiser or someone the raiser
    manages, nor anyone away today (``holders.holder_may_take`` says the same of one person)."""
    organisation = escalation.deadline_organisation
    roles = eligible_roles(stage=escalation.stage, organisation=organisation)
    eligible = Q(role__in=roles)
    manager = holder_line_manager(holder=escalation.holder, organisation=organisation)
    if manager is not None:
        eligible |= Q(pk=manager.pk)
    raiser = escalation.raised_by
    away = Absence.objects.absent_ids(clock.local(timezone.now()).date())
    candidates = (User.objects.filter(eligible, organisation=organisation, is_active=True)
                  .exclude(pk__in=[raiser.pk, *raiser.reports_below(), *away]))
    if escalation.holder_id is not None:
        candidates = candidates.exclude(pk=escalation.holder_id)
    return candidates.order_by("last_name", "first_name", "username")


@dataclass(frozen=True)
class Covering:
    """What a person covers today: the absences under way, and which escalations of a list passed to
    them for one of those absences (escalation id -> absence)."""

    absences: list[Absence]
    escalations: dict[int, Absence]


def covering_for(*, user: User, escalations: list[Escalation], day: dt.date | None = None) -> Covering:
    """The absences under way on ``day`` (today) that this person covers, and the escalations of
    ``escalations`` they hold because one of them passed to them, for "Covering for <name> until
    <date>" on their list. Two queries, whatever the rows."""
    day = day or clock.local(timezone.now()).date()
    absences = {a.pk: a for a in Absence.objects.on(day).filter(cover=user).select_related("person")
                .order_by("ends_on", "pk")}
    held = [esc.pk for esc in escalations if esc.holder_id == user.pk]
    covered: dict[int, Absence] = {}
    if absences and held:
        passed = (TimelineEntry.objects.filter(escalation_id__in=held, action=Action.HAND_OVER)
                  .order_by("at", "pk").values_list("escalation_id", "params"))
        for escalation_id, params in passed:
            absence = absences.get(params.get("absence")) if params.get("to") == user.username else None
            if absence is None:
                covered.pop(escalation_id, None)  # a later hand-over, not for cover
            else:
                covered[escalation_id] = absence
    return Covering(absences=list(absences.values()), escalations=covered)


def mediator_candidates(*, escalation: Escalation) -> QuerySet[User]:
    """The people who may mediate (``eligibility.mediators_eligible``): exactly those the service accepts."""
    return mediators_eligible(escalation)


def panel_candidates(*, escalation: Escalation) -> QuerySet[User]:
    """The people who may sit on the resolution panel: staff of the partnership's organisations, not a party."""
    return panel_members_eligible(escalation)


def escalation_actions_available(*, user: User, escalation: Escalation,
                                 among: tuple[str, ...] | None = None) -> list[ActionSpec]:
    """The actions this person may take on the escalation now (of ``among``, else of all, in the registry's
    order): allowed by its state and ladder (the transition's ``can_proceed``) and to them (the permission)."""
    names = among if among is not None else tuple(ACTIONS)
    specs = [ACTIONS[name] for name in names]
    available = [spec for spec in specs if spec.may_proceed(escalation) and user.has_perm(spec.permission, escalation)]
    if any(spec.name == "record_debrief" for spec in available) and Debrief.objects.filter(
            escalation=escalation, by=user).exists():
        # Each party records one debrief (001, CONTRACT 8.3): not offered again to one who has.
        available = [spec for spec in available if spec.name != "record_debrief"]
    return available
