"""Reads for the oversight pages: the PSW's overview, the QA&P chair's list, the systemic issues register.

Every list is built from ``Escalation.objects.visible_to(user)`` and fetches a page's rows with a
fixed number of queries (select_related and one prefetch each for stages, categories and the
timeline), however many rows the page has.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When, prefetch_related_objects
from django.utils import timezone

from escalations.models import AWAITING_HOLDER, LIVE_STATES, Escalation, State, TimelineEntry, overdue_condition
from organisations.models import BOARD_ROLES, Organisation, Role, Team, User
from policies.models import Category, Ladder, RiskLevel

from .models import SystemicIssue, SystemicIssueEvent
from .rules import systemic_issue_can_view_register


# --- time spent at each level ------------------------------------------------------------------------
def duration_words(duration: dt.timedelta) -> str:
    """Say a duration the way a manager would: "3 days 4 hours", "5 hours", "under an hour"."""
    total_hours = int(duration.total_seconds() // 3600)
    days, hours = divmod(total_hours, 24)
    if days == 0 and hours == 0:
        return "under an hour"
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts)


@dataclass(frozen=True)
class LevelTime:
    index: int
    name: str
    duration: dt.timedelta
    current: bool

    @property
    def words(self) -> str:
        return duration_words(self.duration)


def level_times(*, escalation: Escalation, entries: Iterable[TimelineEntry], now: dt.datetime) -> list[LevelTime]:
    """Return the time the escalation spent live at each stage it reached, in ladder order.

    Each timeline entry records the stage after its action, so a stage is entered at the first
    entry showing it; the clock stops while the escalation is resolved or withdrawn and runs until
    ``now`` while it is live.
    """
    spent: dict[int, dt.timedelta] = defaultdict(dt.timedelta)
    current: int | None = None
    since: dt.datetime | None = None
    for entry in entries:
        live_after = entry.to_state in LIVE_STATES
        if since is not None and current is not None and (entry.stage_index != current or not live_after):
            spent[current] += max(entry.at - since, dt.timedelta(0))
            since = None
        current = entry.stage_index
        spent.setdefault(current, dt.timedelta(0))
        if live_after and since is None:
            since = entry.at
    if since is not None and current is not None:
        spent[current] += max(now - since, dt.timedelta(0))
    ladder = escalation.ladder
    return [
        LevelTime(
            index=index,
            name=ladder.stage(index).name if ladder.has_stage(index) else f"Stage {index}",
            duration=spent[index],
            current=index == escalation.stage_index and escalation.is_live,
        )
        for index in sorted(spent)
    ]


# --- the PSW's overview ------------------------------------------------------------------------------
@dataclass
class OverviewRow:
    escalation: Escalation
    overdue: bool
    deadline: dt.datetime | None
    levels: list[LevelTime] = field(default_factory=list)


RISK_ORDER = Case(
    When(risk_level=RiskLevel.IMMINENT, then=Value(0)),
    When(risk_level=RiskLevel.SIGNIFICANT_HARM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def psw_escalations(*, user: User) -> QuerySet[Escalation]:
    """Every live escalation the PSW's organisation raised or receives (and the PSW may see)."""
    if (not user.organisation_id or user.role != Role.PSW or user.is_platform_staff or user.is_administrator
            or not getattr(user, "is_authenticated", False)):
        return Escalation.objects.none()
    org = user.organisation_id
    # ``visible_to`` grants a PSW every escalation her organisation raised or receives, so these rows are
    # all visible to her; asking it again would add its union to three statements of the page for
    # nothing (tests/oversight/test_psw_overview_scale.py holds the two equal).
    return Escalation.objects.live().filter(Q(raising_organisation_id=org) | Q(receiving_organisation_id=org))


def psw_overview_counts(*, user: User, now: dt.datetime | None = None) -> dict[str, int]:
    """The counts at the top of the overview, in one query."""
    now = now or timezone.now()
    return psw_escalations(user=user).aggregate(
        open=Count("pk", filter=Q(state=State.OPEN)),
        meeting_arranged=Count("pk", filter=Q(state=State.MEETING_ARRANGED)),
        responded=Count("pk", filter=Q(state=State.RESPONDED)),
        in_mediation=Count("pk", filter=Q(state=State.IN_MEDIATION)),
        overdue=Count("pk", filter=overdue_condition(now)),
        high_risk=Count("pk", filter=Q(risk_level__in=[RiskLevel.SIGNIFICANT_HARM, RiskLevel.IMMINENT])),
    )


def psw_overview_list(*, user: User) -> QuerySet[Escalation]:
    """The overview, most urgent first, ready to filter (``PswOverviewFilter``) and page; rows carry their
    timeline (``psw_overview_rows`` reads their ladders' stages and their organisations' closure days)."""
    return (
        psw_escalations(user=user)
        .select_related("case", "ladder", "holder", "raised_by__team", "raising_organisation",
                        "receiving_organisation", "mediator")
        .prefetch_related(
            Prefetch("timeline", queryset=TimelineEntry.objects.only(
                "id", "escalation_id", "at", "stage_index", "to_state",
            ).order_by("at", "pk"), to_attr="stage_entries"),
        )
        .annotate(risk_order=RISK_ORDER)
        .order_by("risk_order", "stage_deadline", "pk")
    )


def _share_ladders_and_organisations(escalations: list[Escalation]) -> None:
    """Give the rows of one ladder one instance of it, and those of one organisation one instance of it, then
    read each ladder's stages and categories and each organisation's closure days once: three statements.

    Django's prefetch through the joined ladder and organisations gave each row's own copies a related
    manager and a queryset each (about 100 for a page of 25, for two ladders and a few organisations), and
    read the closure days of each side of the disagreement in a statement of its own.
    """
    ladders: dict[int, Ladder] = {}
    organisations: dict[int, Organisation] = {}
    for esc in escalations:
        esc.ladder = ladders.setdefault(esc.ladder_id, esc.ladder)
        esc.raising_organisation = organisations.setdefault(esc.raising_organisation_id, esc.raising_organisation)
        if esc.receiving_organisation_id is not None:
            esc.receiving_organisation = organisations.setdefault(esc.receiving_organisation_id,
                                                                  esc.receiving_organisation)
    prefetch_related_objects(list(ladders.values()), "stages", "categories")
    prefetch_related_objects(list(organisations.values()), "closure_days")


def _deadline_now(escalation: Escalation) -> dt.datetime | None:
    """The deadline that matters now: the stage's while the holder must act, else the overall one."""
    candidates = [escalation.overall_deadline] if escalation.overall_deadline else []
    if escalation.state in AWAITING_HOLDER and escalation.stage_deadline:
        candidates.append(escalation.stage_deadline)
    return min(candidates) if candidates else None


def psw_overview_rows(*, escalations: Iterable[Escalation], now: dt.datetime | None = None) -> list[OverviewRow]:
    """Turn a page of ``psw_overview_list`` into rows with the time spent at each level; read what the rows
    show of their ladders and organisations (``_share_ladders_and_organisations``)."""
    now = now or timezone.now()
    escalations = list(escalations)
    _share_ladders_and_organisations(escalations)
    return [
        OverviewRow(
            escalation=esc,
            overdue=esc.is_overdue(now),
            deadline=_deadline_now(esc),
            levels=level_times(escalation=esc, entries=esc.stage_entries, now=now),
        )
        for esc in escalations
    ]


@dataclass
class OverviewChoices:
    ladders: list[tuple[str, str]]
    stages: list[tuple[int, str]]
    teams: list[tuple[int, str]]
    categories: list[tuple[str, str]]
    holders: QuerySet[User]  # read only to look a name up: too many to list (``HolderNameField``)


def organisation_ladders(*, organisation_id: int) -> QuerySet[Ladder]:
    """The current ladders an organisation's escalations climb: its own and its partnerships'."""
    partnerships = Organisation.objects.filter(pk=organisation_id).values("partnerships")
    return (
        Ladder.objects.current()
        .filter(Q(organisation_id=organisation_id) | Q(partnership_id__in=partnerships))
        .order_by("name")
    )


def psw_overview_choices(*, user: User) -> OverviewChoices:
    """The options of the overview's filters, drawn from the organisation's ladders and teams, and the holders
    the holder filter looks a name up among."""
    org = user.organisation_id
    ladders = list(organisation_ladders(organisation_id=org).prefetch_related("stages"))
    stage_names: dict[int, list[str]] = defaultdict(list)
    for ladder in ladders:
        for stage in ladder.stage_list():
            if stage.name not in stage_names[stage.index]:
                stage_names[stage.index].append(stage.name)
    categories: dict[str, str] = {}
    for slug, label in Category.objects.filter(ladder__in=[lad.pk for lad in ladders]).values_list("slug", "label"):
        categories.setdefault(slug, label)
    return OverviewChoices(
        ladders=[(lad.slug, lad.name) for lad in ladders],
        stages=[(index, f"Level {index + 1}: {' / '.join(names)}") for index, names in sorted(stage_names.items())],
        teams=[(team.pk, team.name) for team in Team.objects.filter(organisation_id=org).order_by("name")],
        categories=sorted(categories.items(), key=lambda item: item[1].lower()),
        holders=User.objects.filter(pk__in=psw_escalations(user=user).values("holder_id")),
    )


def holders_named(*, holders: QuerySet[User], text: str) -> list[int]:
    """The ids of those of ``holders`` whose first name, last name or username holds each word of ``text``,
    whatever the case: "mensah" and "Grace Mens" both find Grace Mensah."""
    condition = Q()
    for word in text.split():
        condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word)
    return list(holders.filter(condition).order_by("pk").values_list("pk", flat=True))


# --- the QA&P chair's list ---------------------------------------------------------------------------
def board_logged_list(*, user: User) -> QuerySet[Escalation]:
    """Escalations of the chair's partnership logged with the board, most recently logged first,
    ready to filter (``BoardLoggedFilter``) and page."""
    escalations = Escalation.objects.visible_to(user).filter(board_logged_at__isnull=False)
    return (
        escalations.with_related()
        .prefetch_related("ladder__stages")
        .order_by("-board_logged_at", "-pk")
    )


def board_logged_choices(*, user: User) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The partnership's ladders and member organisations, for the chair's filters."""
    if not user.partnership_id:
        return [], []
    ladders = Ladder.objects.current().filter(partnership_id=user.partnership_id).order_by("name")
    members = Organisation.objects.filter(partnerships=user.partnership_id).order_by("name")
    return (
        [(lad.slug, lad.name) for lad in ladders],
        [(org.slug, org.name) for org in members],
    )


# --- the systemic issues register --------------------------------------------------------------------
def systemic_issue_list(*, user: User) -> QuerySet[SystemicIssue]:
    """The issues of the user's organisation, newest first, ready to filter (``SystemicIssueFilter``)."""
    if not systemic_issue_can_view_register(user):
        return SystemicIssue.objects.none()
    issues = (
        SystemicIssue.objects.filter(organisation_id=user.organisation_id)
        .select_related("owner", "raised_by")
        .annotate(escalation_count=Count("escalations", distinct=True))
    )
    return issues.order_by("-created_at", "-pk")


def systemic_issue_get(*, user: User, pk: int) -> SystemicIssue:
    """The issue if it belongs to the user's organisation; SystemicIssue.DoesNotExist otherwise."""
    if not systemic_issue_can_view_register(user):
        raise SystemicIssue.DoesNotExist("Only staff of an organisation see its systemic issues.")
    return SystemicIssue.objects.select_related("owner", "raised_by", "organisation").get(
        pk=pk, organisation_id=user.organisation_id,
    )


def systemic_issue_owner_choices(*, organisation_id: int) -> QuerySet[User]:
    """The organisation's active staff, who may own an issue."""
    return (
        User.objects.filter(organisation_id=organisation_id, is_active=True)
        .exclude(role__in=BOARD_ROLES)
        .order_by("first_name", "last_name", "username")
    )


def systemic_issue_escalations(*, issue: SystemicIssue, user: User) -> tuple[list[Escalation], int]:
    """The linked escalations this user may open, and how many others are linked."""
    linked = issue.escalations.all()
    visible = list(
        Escalation.objects.visible_to(user).filter(pk__in=linked.values("pk"))
        .select_related("case", "ladder").order_by("pk")
    )
    return visible, linked.count() - len(visible)


def systemic_issue_history(*, issue: SystemicIssue) -> QuerySet[SystemicIssueEvent]:
    """Every change made to the issue, oldest first, with who made it."""
    return issue.events.select_related("actor").order_by("at", "pk")
