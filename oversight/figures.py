"""The figures page: how many escalations an organisation had, at which stage, and whether each stage and
the whole process kept its timescale (Stoke section 8: "The Team Manager will be responsible for the
collection of data and will report on the number of Informal and Formal Case Management Escalations
and the timescales reached in resolving them").

Aggregates only: a count or a number of days, never a case, a child or a person. The rows of one
period are read in a fixed number of queries (the escalations, their timeline, their ladders' stages
and rules, the organisations' closure days) and counted in memory.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median

from django.db.models import Prefetch, Q
from django.utils import timezone

from escalations.events import Action
from escalations.models import LIVE_STATES, Escalation, State, TimelineEntry
from escalations.selectors import StageVisit, stage_history
from organisations.models import Role, User
from policies import clock
from policies.models import Ladder

# Who reads an organisation's figures: Stoke 8 names the team manager; the managers above them and the
# PSW answer for the same figures; the organisation's administrator sees how the product is used.
FIGURES_ROLES = (
    Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.STRATEGIC_MANAGER, Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR, Role.DIRECTOR, Role.PSW, Role.ORG_ADMIN,
)

# The periods a reader may choose, in months back from today (0: since the first escalation).
PERIODS = {"3": 3, "12": 12, "all": 0}
DEFAULT_PERIOD = "12"

# The actions with which a holder answers a stage: a meeting arranged or a decision recorded (Bexley 5.4).
ANSWERS = (Action.RESPOND, Action.ARRANGE_MEETING)


def figures_can_view(user: User) -> bool:
    """Staff of an organisation in one of ``FIGURES_ROLES``."""
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id and user.role in FIGURES_ROLES)


@dataclass
class StageFigures:
    index: int
    name: str
    reached: int = 0
    answered_in_time: int = 0
    not_answered_in_time: int = 0  # answered late, or left without an answer after its deadline
    waiting: int = 0  # live at this stage, its deadline not yet passed and no answer yet
    resolved_here: int = 0


@dataclass
class FormalFigures:
    """Stoke 4 and 5: the informal stage (5 working days) and the formal process (20 working days)."""

    informal_names: str
    formal_working_days: int
    informal_raised: int = 0
    informal_resolved: int = 0
    informal_resolved_in_time: int = 0
    informal_withdrawn: int = 0
    informal_live: int = 0
    went_formal: int = 0
    formal_resolved: int = 0
    formal_resolved_in_time: int = 0
    formal_withdrawn: int = 0
    formal_live: int = 0
    formal_live_overdue: int = 0
    formal_days: list[int] = field(default_factory=list)

    @property
    def informal_resolved_late(self) -> int:
        return self.informal_resolved - self.informal_resolved_in_time

    @property
    def formal_resolved_late(self) -> int:
        return self.formal_resolved - self.formal_resolved_in_time

    @property
    def formal_median_days(self) -> float | None:
        return median(self.formal_days) if self.formal_days else None


@dataclass
class LadderFigures:
    name: str
    slug: str
    raised: int = 0
    live: int = 0
    resolved: int = 0
    withdrawn: int = 0
    days_to_resolve: list[int] = field(default_factory=list)
    stages: list[StageFigures] = field(default_factory=list)
    formal: FormalFigures | None = None

    @property
    def median_days(self) -> float | None:
        return median(self.days_to_resolve) if self.days_to_resolve else None


@dataclass(frozen=True)
class OrganisationFigures:
    since: dt.date | None
    ladders: list[LadderFigures]

    @property
    def total(self) -> int:
        return sum(ladder.raised for ladder in self.ladders)


def period_start(period: str, *, today: dt.date) -> dt.date | None:
    """The first day of the chosen period (None: all time); an unknown period is the default one."""
    months = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    if not months:
        return None
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


def _answer_after(visit: StageVisit, entries: list[TimelineEntry], until: dt.datetime | None) -> TimelineEntry | None:
    for entry in entries:
        if entry.at < visit.entered_at:
            continue
        if until is not None and entry.at >= until:
            return None
        if entry.action in ANSWERS:
            return entry
    return None


def _count_stages(figures: dict[int, StageFigures], escalation: Escalation, timeline: list[TimelineEntry],
                  now: dt.datetime) -> None:
    """Add one escalation's visits to the stages' figures: reached, answered in time or not, waiting."""
    visits = stage_history(escalation=escalation, timeline=timeline)
    ordered = sorted((visit for stage_visits in visits.values() for visit in stage_visits),
                     key=lambda visit: visit.entered_at)
    for position, visit in enumerate(ordered):
        row = figures.get(visit.stage.index)
        if row is None:
            continue
        row.reached += 1
        until = ordered[position + 1].entered_at if position + 1 < len(ordered) else None
        answer = _answer_after(visit, timeline, until)
        if answer is not None:
            if answer.at <= visit.deadline:
                row.answered_in_time += 1
            else:
                row.not_answered_in_time += 1
        else:
            # The visit ended with the next stage, with the escalation's closing, or goes on now.
            ended = until or (escalation.closed_at if escalation.state not in LIVE_STATES else None) or now
            if visit.deadline <= ended:
                row.not_answered_in_time += 1
            elif escalation.state in LIVE_STATES and until is None:
                row.waiting += 1
    if escalation.state == State.RESOLVED and escalation.stage_index in figures:
        figures[escalation.stage_index].resolved_here += 1


def _count_formal(formal: FormalFigures, ladder: Ladder, escalation: Escalation, timeline: list[TimelineEntry],
                  now: dt.datetime) -> None:
    start_index = ladder.overall_from_stage
    entries = [e for e in timeline if e.action in (Action.RAISE, Action.ESCALATE, Action.SKIP, Action.REOPEN,
                                                    Action.AUTO_ADVANCE)]
    if not entries:
        return
    formal_entry = next((e for e in entries if e.stage_index >= start_index), None)
    at_informal = escalation.stage_index < start_index
    if entries[0].stage_index < start_index:
        formal.informal_raised += 1
        if at_informal:
            if escalation.state == State.RESOLVED:
                formal.informal_resolved += 1
                visits = stage_history(escalation=escalation, timeline=timeline).get(escalation.stage_index, [])
                if visits and escalation.resolved_at and escalation.resolved_at <= visits[-1].deadline:
                    formal.informal_resolved_in_time += 1
            elif escalation.state == State.WITHDRAWN:
                formal.informal_withdrawn += 1
            elif escalation.state in LIVE_STATES:
                formal.informal_live += 1
    if formal_entry is None:
        return
    formal.went_formal += 1
    if at_informal:
        return
    if escalation.state == State.RESOLVED and escalation.resolved_at is not None:
        formal.formal_resolved += 1
        if escalation.overall_deadline is None or escalation.resolved_at <= escalation.overall_deadline:
            formal.formal_resolved_in_time += 1
        formal.formal_days.append(clock.working_days_between(
            formal_entry.at, escalation.resolved_at, closure_days=escalation.raising_organisation.closure_dates()))
    elif escalation.state == State.WITHDRAWN:
        formal.formal_withdrawn += 1
    elif escalation.state in LIVE_STATES:
        formal.formal_live += 1
        if escalation.overall_deadline is not None and escalation.overall_deadline <= now:
            formal.formal_live_overdue += 1


def organisation_figures(*, user: User, period: str = DEFAULT_PERIOD, now: dt.datetime | None = None
                         ) -> OrganisationFigures:
    """The figures of the reader's organisation: every escalation it raised or received in the period, by
    procedure (the current version's name and stages), stage by stage, and Stoke's informal and formal."""
    now = now or timezone.now()
    since = period_start(period, today=clock.local(now).date())
    organisation_id = user.organisation_id
    escalations = (
        Escalation.objects
        .filter(Q(raising_organisation_id=organisation_id) | Q(receiving_organisation_id=organisation_id))
        .with_related()
        .prefetch_related(
            "ladder__stages", "ladder__risk_rules",
            Prefetch("timeline", queryset=TimelineEntry.objects.only(
                "id", "escalation_id", "at", "action", "stage_index", "to_state", "params",
            ).order_by("at", "pk"), to_attr="entries"),
        )
        .order_by("pk")
    )
    if since is not None:
        escalations = escalations.filter(raised_at__date__gte=since)
    rows = list(escalations)
    current = {lad.slug: lad for lad in Ladder.objects.current()
               .filter(slug__in={row.ladder.slug for row in rows}).prefetch_related("stages")}
    by_ladder: dict[str, LadderFigures] = {}
    stage_rows: dict[str, dict[int, StageFigures]] = {}
    for escalation in rows:
        ladder = current.get(escalation.ladder.slug, escalation.ladder)
        figures = by_ladder.get(ladder.slug)
        if figures is None:
            figures = by_ladder[ladder.slug] = _ladder_figures(ladder)
            stage_rows[ladder.slug] = {row.index: row for row in figures.stages}
        _count(figures, stage_rows[ladder.slug], ladder, escalation, escalation.entries, now)
    return OrganisationFigures(since=since, ladders=sorted(by_ladder.values(), key=lambda f: f.name))


def _ladder_figures(ladder: Ladder) -> LadderFigures:
    stages = [StageFigures(index=stage.index, name=stage.name) for stage in ladder.stage_list()]
    formal = None
    if ladder.overall_working_days:
        informal = [stage.name for stage in ladder.stage_list() if stage.index < ladder.overall_from_stage]
        formal = FormalFigures(informal_names=" / ".join(informal) or "Informal",
                               formal_working_days=ladder.overall_working_days)
    return LadderFigures(name=ladder.name, slug=ladder.slug, stages=stages, formal=formal)


def _count(figures: LadderFigures, stages: dict[int, StageFigures], ladder: Ladder, escalation: Escalation,
           timeline: Iterable[TimelineEntry], now: dt.datetime) -> None:
    entries = list(timeline)
    figures.raised += 1
    if escalation.state in LIVE_STATES:
        figures.live += 1
    elif escalation.state == State.RESOLVED:
        figures.resolved += 1
        if escalation.resolved_at is not None:
            figures.days_to_resolve.append(clock.working_days_between(
                escalation.raised_at, escalation.resolved_at,
                closure_days=escalation.raising_organisation.closure_dates()))
    elif escalation.state == State.WITHDRAWN:
        figures.withdrawn += 1
    _count_stages(stages, escalation, entries, now)
    if figures.formal is not None:
        _count_formal(figures.formal, ladder, escalation, entries, now)
