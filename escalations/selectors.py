"""Every read the escalation pages need, with the joins that keep their query counts flat."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as Conditional
from django.db.models import IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from cases.models import Case
from organisations.models import User
from policies import clock
from policies.models import Ladder, RiskLevel, Stage

from .actions import ACTIONS, ActionSpec
from .eligibility import mediators_eligible, panel_members_eligible
from .events import Action
from .holders import eligible_roles, holder_find
from .models import AWAITING_HOLDER, Attachment, Debrief, Escalation, EscalationQuerySet, PanelMember, TimelineEntry
from .services import stage_deadline_for

# Timeline actions that put the escalation at a stage (and start that stage's clock).
STAGE_ENTRIES = (Action.RAISE, Action.ESCALATE, Action.SKIP, Action.REOPEN, Action.AUTO_ADVANCE)


def _for_pages(queryset: EscalationQuerySet) -> EscalationQuerySet:
    """Join what a row shows (case, ladder, people, organisations and their closure days) and prefetch
    the ladder's stages and categories, so that stage names, category labels and the red/amber/green
    status cost no query per row."""
    return queryset.with_related().prefetch_related("ladder__stages", "ladder__categories")


def escalation_list_raised(*, user: User) -> QuerySet[Escalation]:
    """Every escalation the person raised, newest first (``filters.EscalationListFilter`` narrows it)."""
    return _for_pages(Escalation.objects.filter(raised_by=user)).order_by("-raised_at", "-pk")


def escalation_list_held(*, user: User) -> QuerySet[Escalation]:
    """Every escalation the person holds: those awaiting their response first, earliest deadline first."""
    return _for_pages(Escalation.objects.filter(holder=user)).annotate(
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


def ladders_for_raising(*, user: User) -> QuerySet[Ladder]:
    return Ladder.objects.usable_by(user).select_related("organisation", "partnership").order_by("name")


@dataclass(frozen=True)
class RaisePreview:
    """Where a new escalation would go: its entry stage, holder (if known yet) and deadline."""

    stage: Stage
    holder: User | None
    deadline: dt.datetime | None
    in_receiving_organisation: bool


def raise_preview(*, user: User, ladder: Ladder, risk_level: str,
                  now: dt.datetime | None = None) -> RaisePreview | None:
    """Say where an escalation on this ladder at this risk level would go, before it is raised."""
    if risk_level not in RiskLevel.values:
        return None
    now = now or timezone.now()
    rule = ladder.rule_for(risk_level)
    stage = ladder.stage(rule.entry_stage)
    if stage.in_receiving_organisation:
        # The holder and the calendar are the receiving organisation's, chosen on the next page.
        return RaisePreview(stage=stage, holder=None, deadline=None, in_receiving_organisation=True)
    days = stage.working_days if rule.entry_working_days is None else rule.entry_working_days
    organisation = user.organisation
    if organisation is None:  # only an organisation's staff raise (ladders_for_raising offers them none)
        return None
    holder = holder_find(stage=stage, raised_by=user, raising_organisation=organisation)
    due = clock.deadline(now, days, closure_days=organisation.closure_dates(),
                         close_of_business=organisation.close_of_business)
    return RaisePreview(stage=stage, holder=holder, deadline=due, in_receiving_organisation=False)


def reassign_candidates(*, escalation: Escalation) -> QuerySet[User]:
    """Active people who may hold the current stage instead of its holder (absence cover)."""
    organisation = escalation.deadline_organisation
    roles = eligible_roles(stage=escalation.stage, organisation=organisation)
    candidates = User.objects.filter(organisation=organisation, role__in=roles, is_active=True)
    if escalation.holder_id is not None:
        candidates = candidates.exclude(pk=escalation.holder_id)
    return candidates.order_by("last_name", "first_name", "username")


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
    return [spec for spec in specs if spec.may_proceed(escalation) and user.has_perm(spec.permission, escalation)]
