"""Reads for the themes report: who may read which report, and the report itself, as aggregates.

Everything a board member, the QA&P chair or a PSW reads here is a ``reports.figures.Table`` of
labelled counts and statistics: no selector in this module returns an escalation, a case or a
person, so the report cannot carry a child's reference or name, nor a practitioner's name.

The period's escalations are read once (``_cohort_read``): a tuple a row of the columns the tables
need, with the local dates of raising and resolving and the summary's conditions worked out by the
database. Every table is added up from those tuples in Python (``Counter``), because they need
groupings by different keys (what the escalations were about, who raised them with whom, when) and
working days to resolution needs each escalation's dates anyway (the working-day clock lives in
Python: bank holidays and closure days). The number of queries does not grow with the number of
escalations.

All figures describe the escalations *raised* in the chosen period: how they were spread, how
they ended, and where they stand now (overdue now, stuck).
"""
from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from core.db import reads_from_replica
from escalations.models import LIVE_STATES, Escalation, State, overdue_condition
from organisations.models import ClosureDay, Organisation, Partnership, Role, User
from policies import clock
from policies.models import Category, Ladder, RiskLevel, Stage

from .figures import (
    NONE,
    Row,
    Suppression,
    Table,
    count_cell,
    days_cell,
    median,
    percentile,
    rate_cell,
    share_cell,
    text_cell,
)

# A report covers at most five years: sixty monthly points is as much as a trend line can show.
MAX_PERIOD_DAYS = 5 * 366


# --- the period --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportPeriod:
    """From and to, local calendar dates, both included."""

    start: dt.date
    end: dt.date

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=clock.LONDON)

    @property
    def ends_before(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=clock.LONDON)

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months

    def as_query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def report_period_default(*, today: dt.date | None = None) -> ReportPeriod:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    start = today.replace(day=1)
    for _ in range(11):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return ReportPeriod(start=start, end=today)


def _date(errors: dict, field: str, raw: str | None) -> dt.date | None:
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        which = "start" if field == "from" else "end"
        errors[field] = [f"The {which} of the period must be a real date, like 2026-04-01."]
        return None


def report_period_parse(*, query: Mapping[str, str], today: dt.date | None = None) -> ReportPeriod:
    """Read ``from`` and ``to`` (YYYY-MM-DD, both optional) into a period; ValidationError names the field."""
    errors: dict[str, list[str]] = {}
    start = _date(errors, "from", query.get("from"))
    end = _date(errors, "to", query.get("to"))
    if errors:
        raise ValidationError(errors)
    default = report_period_default(today=today)
    end = end or (default.end if start is None or start <= default.end else start)
    start = start or min(default.start, end)
    if start > end:
        raise ValidationError({"to": [f"The end of the period must be on or after its start ({start.isoformat()})."]})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"from": ["Choose a period of at most five years."]})
    return ReportPeriod(start=start, end=end)


# --- who reads which report --------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportScope:
    """A partnership (for its board) or an organisation (for its PSW), with its suppression rule."""

    kind: str  # "partnership" or "organisation"
    slug: str
    name: str
    organisation_ids: tuple[int, ...]
    escalations: QuerySet
    suppression: Suppression

    def as_query(self) -> dict[str, str]:
        return {self.kind: self.slug}


def _partnership_scope(partnership: Partnership, *, suppression: Suppression) -> ReportScope:
    members = tuple(partnership.members.order_by("name").values_list("pk", flat=True))
    # The partnership's ladders (every version) by id: a condition on the escalation's own row, no join.
    ladders = list(Ladder.objects.filter(partnership_id=partnership.pk).values_list("pk", flat=True))
    escalations = Escalation.objects.filter(
        Q(raising_organisation_id__in=members) | Q(receiving_organisation_id__in=members)
        | Q(ladder_id__in=ladders)
    )
    return ReportScope(kind="partnership", slug=partnership.slug, name=partnership.name,
                       organisation_ids=members, escalations=escalations, suppression=suppression)


def _organisation_scope(organisation: Organisation, *, user: User) -> ReportScope:
    escalations = Escalation.objects.visible_to(user).filter(
        Q(raising_organisation_id=organisation.pk) | Q(receiving_organisation_id=organisation.pk)
    )
    return ReportScope(kind="organisation", slug=organisation.slug, name=organisation.name,
                       organisation_ids=(organisation.pk,), escalations=escalations, suppression=NONE)


def _refuse_other(model, slug: str | None, own_slug: str | None) -> None:
    """A slug other than the reader's own: 404 where nothing has it, else 403."""
    if slug and slug != own_slug:
        if not model.objects.filter(slug=slug).exists():
            raise Http404(f"No {model._meta.verbose_name} '{slug}'.")
        raise PermissionDenied(f"You may read the report of your own {model._meta.verbose_name} only.")


def report_scope_for(*, user: User, partnership: str | None = None, organisation: str | None = None) -> ReportScope:
    """Return the report a person may read: board users their partnership's, a PSW their organisation's.

    Raises PermissionDenied (403) for anyone else, or for a partnership or organisation they do not
    belong to; Http404 for one that does not exist. An administrator may choose any.
    """
    if not user.has_perm("escalations.view_reports"):
        raise PermissionDenied(
            "Reports are for partnership board members, the QA&P chair and principal social workers."
        )
    board_suppression = Suppression(active=True, threshold=settings.REPORT_SMALL_COUNT_THRESHOLD)
    if user.is_superuser:
        if organisation:
            chosen = Organisation.objects.filter(slug=organisation).first()
            if chosen is None:
                raise Http404(f"No organisation '{organisation}'.")
            return _organisation_scope(chosen, user=user)
        chosen_p = Partnership.objects.filter(slug=partnership).first() if partnership else Partnership.objects.first()
        if chosen_p is None:
            raise Http404(f"No partnership '{partnership}'." if partnership else "No partnership has been set up yet.")
        return _partnership_scope(chosen_p, suppression=NONE)
    if user.is_board_user:
        if user.partnership_id is None:
            raise PermissionDenied("Your account is not linked to a partnership.")
        if organisation:
            raise PermissionDenied("Board reports cover the whole partnership, not one organisation.")
        _refuse_other(Partnership, partnership, user.partnership.slug)
        return _partnership_scope(user.partnership, suppression=board_suppression)
    if user.role == Role.PSW:
        if user.organisation_id is None:
            raise PermissionDenied("Your account is not linked to an organisation.")
        if partnership:
            raise PermissionDenied("A principal social worker reads the report of their own organisation.")
        _refuse_other(Organisation, organisation, user.organisation.slug)
        return _organisation_scope(user.organisation, user=user)
    raise PermissionDenied("Reports are for partnership board members, the QA&P chair and principal social workers.")


# --- the report --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ThemesReport:
    scope_kind: str
    scope_name: str
    period: ReportPeriod
    generated_at: dt.datetime
    suppression: Suppression
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    @property
    def table_names(self) -> list[str]:
        return [table.name for table in self.tables]


@dataclass(frozen=True)
class _LadderTarget:
    slug: str
    name: str
    target: int | None  # working days for the whole procedure; None where it has no stages


def _ladder_targets(ladder_ids: Collection[int]) -> dict[int, _LadderTarget]:
    """Each ladder version's whole timescale: its overall working days where it sets them, else the
    sum of its stages' response times (exceptional stages, entered only after a final decision, aside)."""
    rows = (
        Ladder.objects.filter(pk__in=ladder_ids)
        .annotate(stage_days=Sum("stages__working_days", filter=Q(stages__exceptional=False)))
        .values_list("pk", "slug", "name", "overall_working_days", "stage_days")
    )
    return {pk: _LadderTarget(slug=slug, name=name, target=overall or stage_days)
            for pk, slug, name, overall, stage_days in rows}


def _closure_days(organisation_ids: QuerySet | Collection[int]) -> dict[int, frozenset[dt.date]]:
    days: dict[int, set[dt.date]] = defaultdict(set)
    for organisation_id, date in ClosureDay.objects.filter(organisation_id__in=organisation_ids).values_list(
        "organisation_id", "date"
    ):
        days[organisation_id].add(date)
    return {pk: frozenset(dates) for pk, dates in days.items()}


class _WorkingDayCounter:
    """``clock.working_days_between`` for many pairs of moments: the same answer, from a running count.

    The working days after date a up to and including date b are W(b) - W(a), where W(d) counts the
    working days (weekends and bank holidays aside) from a fixed day up to d, less the organisation's
    closure days that fall on a working day in between. W is filled once per day of the span, not once
    per escalation and day.
    """

    def __init__(self, closures: Mapping[int, frozenset[dt.date]]) -> None:
        self.origin: dt.date | None = None
        self.running: list[int] = [0]  # running[i]: working days in (origin, origin + i days]
        self.counted: dict[dt.date, int] = {}  # W(day) of each day asked for since the origin was set
        self.closed: dict[int, list[dt.date]] = {
            pk: sorted(day for day in days if clock.is_working_day(day)) for pk, days in closures.items()
        }

    def _count(self, day: dt.date) -> int:
        if self.origin is None:
            self.origin = day - dt.timedelta(days=1)
        if day <= self.origin:  # earlier than any day seen: start again from there
            self.origin, self.running, self.counted = day - dt.timedelta(days=1), [0], {}
        offset = (day - self.origin).days
        while len(self.running) <= offset:
            following = self.origin + dt.timedelta(days=len(self.running))
            self.running.append(self.running[-1] + clock.is_working_day(following))
        self.counted[day] = count = self.running[offset]
        return count

    def between(self, start: dt.datetime, end: dt.datetime, organisation_id: int) -> int:
        return self.between_days(clock.local(start).date(), clock.local(end).date(), organisation_id)

    def between_days(self, first: dt.date, last: dt.date, organisation_id: int) -> int:
        """As ``between``, from the two moments' local dates (the database can give them)."""
        if last <= first:
            return 0
        # ``first`` first: a reset to an earlier origin happens before ``last`` is counted. A day counted
        # already is later than the origin, so finding ``first`` among them means no reset is to come.
        before = self.counted.get(first)
        if before is None:
            before = self._count(first)
        after = self.counted.get(last)
        if after is None:
            after = self._count(last)
        days = after - before
        closed = self.closed.get(organisation_id)
        if closed:
            days -= bisect_right(closed, last) - bisect_right(closed, first)
        return days


def _count_table(*, name: str, title: str, label_heading: str, pairs: list[tuple[str, int]],
                 suppression: Suppression, description: str = "") -> Table:
    return Table(
        name=name, title=title, label_heading=label_heading, columns=("Escalations",), description=description,
        rows=tuple(Row(label=label, cells=(count_cell(n, suppression),)) for label, n in pairs),
    )


def _summary(totals: dict[str, int], *, stuck: int, within: tuple[int, int],
             suppression: Suppression) -> Table:
    totals["stuck"] = stuck
    rows = [
        ("Escalations raised", count_cell(totals["raised"], suppression)),
        ("Resolved", count_cell(totals["resolved"], suppression)),
        ("Withdrawn", count_cell(totals["withdrawn"], suppression)),
        ("Still live", count_cell(totals["live"], suppression)),
        ("Overdue now", count_cell(totals["overdue"], suppression)),
        ("Stuck: in mediation, or open longer than the whole procedure's timescale", count_cell(stuck, suppression)),
        ("Advanced by the clock at least once", count_cell(totals["auto_advanced"], suppression)),
        ("Reopened at least once", count_cell(totals["reopened"], suppression)),
        ("Logged with the board", count_cell(totals["board_logged"], suppression)),
        ("Resolved within the procedure's timescale", share_cell(within[0], within[1], suppression)),
    ]
    table = Table(
        name="summary", title="Summary", label_heading="Measure", columns=("Figure",),
        rows=tuple(Row(label=label, cells=(cell,)) for label, cell in rows),
    )
    return table


def _timescales(rows: list[_CohortRow], targets: dict[int, _LadderTarget], period: ReportPeriod,
                suppression: Suppression, counter: _WorkingDayCounter
                ) -> tuple[Table, tuple[int, int], dict[str, list[int]], dict[dt.date, int]]:
    """Working days from raising to resolution, per procedure and overall, against each target; and, from
    the same rows, how many of the cohort were resolved in each month of the period (for ``_trend``)."""
    by_slug: dict[str, list[int]] = defaultdict(list)
    within_by_slug: dict[str, int] = defaultdict(int)
    target_sets: dict[str, set[int]] = defaultdict(set)
    names: dict[str, str] = {}
    by_formality: dict[str, list[int]] = {"informal": [], "formal": []}
    every, within_all = [], 0
    between_days = counter.between_days
    resolved_months: dict[dt.date, int] = defaultdict(int)
    first, last = period.start, period.end
    resolved_days: dict[dt.date, int] = defaultdict(int)
    for row in rows:
        resolved_on = row[RESOLVED_ON]
        if resolved_on is None:
            continue
        # Resolved inside the period: its local date of resolution is one of the period's days.
        if first <= resolved_on <= last:
            resolved_days[resolved_on] += 1
        if row[STATE] != State.RESOLVED:
            continue
        raised_on, ladder_id, organisation_id, stage_index = row[RAISED_ON], row[LADDER], row[RAISING], row[STAGE]
        days = between_days(raised_on, resolved_on, organisation_id)
        ladder = targets[ladder_id]
        names.setdefault(ladder.slug, ladder.name)
        by_slug[ladder.slug].append(days)
        by_formality["formal" if stage_index else "informal"].append(days)
        every.append(days)
        if ladder.target is not None:
            target_sets[ladder.slug].add(ladder.target)
            if days <= ladder.target:
                within_by_slug[ladder.slug] += 1
                within_all += 1

    for day, n in resolved_days.items():
        resolved_months[day.replace(day=1)] += n

    def target_text(slug: str) -> str:
        found = sorted(target_sets[slug])
        if not found:
            return "–"
        return f"{found[0]} working days" if len(found) == 1 else f"{found[0]}–{found[-1]} working days"

    def stats_row(label: str, values: list[int], within: int, target: str, target_value: int | None) -> Row:
        n = len(values)
        return Row(label=label, cells=(
            count_cell(n, suppression),
            days_cell(median(values), group_size=n, suppression=suppression),
            days_cell(percentile(values, 0.9), group_size=n, suppression=suppression),
            text_cell(target) if target_value is None else days_cell(float(target_value), group_size=0,
                                                                     suppression=suppression),
            share_cell(within, n, suppression),
        ))

    table_rows = []
    for slug in sorted(by_slug, key=lambda s: names[s]):
        found = sorted(target_sets[slug])
        single = found[0] if len(found) == 1 else None
        table_rows.append(stats_row(names[slug], by_slug[slug], within_by_slug[slug], target_text(slug), single))
    if by_slug:
        table_rows.append(stats_row("All procedures", every, within_all, "each procedure's own", None))
    timescales = Table(
        name="timescales", title="Working days to resolution against each procedure's timescale",
        label_heading="Procedure",
        columns=("Resolved", "Median", "90th percentile", "Timescale", "Resolved within timescale"),
        rows=tuple(table_rows),
        description="Working days from raising to resolution (the working-day clock: weekends, bank holidays "
                    "and the raising organisation's closure days are not counted). A procedure's timescale is "
                    "its overall timescale where it sets one, else the sum of its stages' response times.",
    )
    return timescales, (within_all, len(every)), by_formality, resolved_months


def _informal_formal(totals: dict[str, int], by_formality: dict[str, list[int]], suppression: Suppression) -> Table:
    rows = []
    for key, label in (("informal", "Informal (never went beyond the first stage)"),
                       ("formal", "Formal (reached stage 1 or beyond)")):
        values = by_formality[key]
        rows.append(Row(label=label, cells=(
            count_cell(totals[key], suppression),
            count_cell(totals[f"{key}_resolved"], suppression),
            days_cell(median(values), group_size=len(values), suppression=suppression),
        )))
    return Table(
        name="informal-formal", title="Informal and formal escalations", label_heading="Kind",
        columns=("Escalations", "Resolved", "Median working days to resolution"), rows=tuple(rows),
        description="The first stage of a procedure (stage 0) is its informal stage; an escalation is formal once "
                    "it has reached stage 1.",
    )


def _stuck(rows: list[_CohortRow], targets: dict[int, _LadderTarget], *,
           closures: Mapping[int, frozenset[dt.date]], now: dt.datetime) -> int:
    """Count the live escalations in mediation, or open for more working days than their whole procedure.

    More than N working days have passed since a moment on local date d exactly when d falls before
    the (N+1)-th working day counted back from today, so each (procedure, organisation) pair becomes
    one date bound, worked out once.
    """
    today = clock.local(now).date()
    bounds: dict[tuple[int, int], dt.date | None] = {}

    def bound(ladder_id: int, organisation_id: int) -> dt.date | None:
        target = targets[ladder_id].target
        if target is None:
            return None
        closed = closures.get(organisation_id, frozenset())
        day, counted = today, 0
        while True:
            if clock.is_working_day(day, closure_days=closed):
                counted += 1
                if counted == target + 1:
                    return day
            day -= dt.timedelta(days=1)

    stuck = 0
    for row in rows:
        state = row[STATE]
        if state not in LIVE_STATES:
            continue
        if state == State.IN_MEDIATION:
            stuck += 1
            continue
        pair = (row[LADDER], row[RAISING])
        if pair not in bounds:
            bounds[pair] = bound(*pair)
        before = bounds[pair]
        if before is not None and row[RAISED_ON] < before:
            stuck += 1
    return stuck


def _trend(raised_on: Mapping[dt.date, int], period: ReportPeriod, suppression: Suppression, *,
           resolved: Mapping[dt.date, int]) -> Table:
    raised: dict[dt.date, int] = defaultdict(int)
    for day, n in raised_on.items():
        raised[day.replace(day=1)] += n
    rows = tuple(
        Row(label=f"{month:%b %Y}", cells=(count_cell(raised.get(month, 0), suppression),
                                           count_cell(resolved.get(month, 0), suppression)))
        for month in period.months()
    )
    return Table(
        name="trend", title="Escalations by month", label_heading="Month", columns=("Raised", "Resolved"), rows=rows,
        description="Raised: escalations raised that month. Resolved: those of them resolved that month.",
    )


def _missing_challenge(scope: ReportScope, period: ReportPeriod, suppression: Suppression) -> Table:
    """Escalations raised per 100 staff, per organisation; organisations that raised none are marked.

    Wiltshire 2.6: a lack of escalations may show missing challenge, "of equal if not greater
    importance" than the conflicts themselves. Staff is the organisation's recorded number of
    active staff, or, where none is recorded, its active user accounts.
    """
    in_period = Q(raised_at__gte=period.starts_at, raised_at__lt=period.ends_before)
    # COUNT(*), not of the ids: the count is read from the index ``esc_org_raised`` alone (16 -> 5 ms).
    raised = (
        Escalation.objects.filter(in_period, raising_organisation_id=OuterRef("pk")).order_by()
        .values("raising_organisation_id").annotate(n=Count("*")).values("n")[:1]
    )
    users = (
        User.objects.filter(organisation_id=OuterRef("pk"), is_active=True).order_by()
        .values("organisation_id").annotate(n=Count("pk")).values("n")[:1]
    )
    organisations = (
        Organisation.objects.filter(pk__in=scope.organisation_ids)
        .annotate(raised=Coalesce(Subquery(raised), 0), users=Coalesce(Subquery(users), 0))
        .order_by("name").values_list("name", "active_staff", "raised", "users")
    )
    rows = []
    for name, recorded, count, users_count in organisations:
        staff = recorded if recorded > 0 else users_count
        rows.append(Row(label=name, cells=(
            text_cell(f"{staff:,}", numeric=True),
            text_cell("recorded staff number" if recorded > 0 else "active user accounts"),
            count_cell(count, suppression),
            rate_cell(count, staff, suppression),
            text_cell("Raised none: is challenge missing?" if count == 0 else ""),
        )))
    return Table(
        name="missing-challenge", title="Where challenge may be missing", label_heading="Organisation",
        columns=("Staff", "Staff counted from", "Escalations raised", "Per 100 staff", "Marked"),
        rows=tuple(rows),
        description="Escalations each organisation raised in the period per 100 of its staff. Few or none may mean "
                    "that disagreements are not being challenged (Wiltshire case resolution protocol, 2.6).",
    )


# What the escalations were about and where they went: the summary's totals and the count tables of
# categories, risk levels and stages add up the groups of these keys (a few hundred). Who raised them
# with whom is counted straight off the rows: those pairs, by month, are nearly a group a row.
THEME_KEYS = ("ladder_id", "category", "risk_level", "stage_index", "state")

# The one read of the cohort (``_cohort_read``): a tuple a row, these columns in this order.
COHORT_COLUMNS = ("ladder_id", "category", "risk_level", "stage_index", "state", "raising_organisation_id",
                  "receiving_organisation_id", "raised_on", "resolved_on", "auto_advanced", "reopened",
                  "board_logged", "overdue")
(LADDER, CATEGORY, RISK_LEVEL, STAGE, STATE, RAISING, RECEIVING, RAISED_ON, RESOLVED_ON, AUTO_ADVANCED, REOPENED,
 BOARD_LOGGED, OVERDUE) = range(len(COHORT_COLUMNS))
_CohortRow = tuple  # one escalation: the values of COHORT_COLUMNS


@dataclass(frozen=True)
class _Group:
    """The escalations of the cohort that share every key of ``THEME_KEYS``, counted."""

    ladder_id: int
    category: str
    risk_level: str
    stage_index: int
    state: str
    n: int
    auto_advanced: int
    reopened: int
    board_logged: int
    overdue: int


def _cohort_read(cohort: QuerySet, *, now: dt.datetime) -> list[_CohortRow]:
    """Every escalation of the cohort as one tuple of ``COHORT_COLUMNS``, in one statement.

    The database works out the local dates of raising and resolving and the summary's conditions; the
    rows come straight from the database cursor, without Django's per-value converters (two date
    conversions a row were a third of the report's time), so SQLite's dates, which come as text, are
    read here.
    """
    flag = functools.partial(ExpressionWrapper, output_field=BooleanField())
    query = cohort.order_by().values_list(
        "ladder_id", "category", "risk_level", "stage_index", "state", "raising_organisation_id",
        "receiving_organisation_id",
        TruncDate("raised_at", tzinfo=clock.LONDON), TruncDate("resolved_at", tzinfo=clock.LONDON),
        flag(Q(times_auto_advanced__gt=0)), flag(Q(times_reopened__gt=0)), flag(Q(board_logged_at__isnull=False)),
        flag(overdue_condition(now)),
    )
    sql, params = query.query.sql_with_params()
    connection = connections[query.db]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and not isinstance(rows[0][RAISED_ON], dt.date):
        as_date = dt.date.fromisoformat
        rows = [(*row[:RAISED_ON], as_date(row[RAISED_ON]),
                 None if row[RESOLVED_ON] is None else as_date(row[RESOLVED_ON]), *row[RESOLVED_ON + 1:])
                for row in rows]
    return rows


def _groups(rows: list[_CohortRow]) -> list[_Group]:
    """The cohort counted by ``THEME_KEYS``, with the summary's conditional counts."""
    counted = Counter(map(itemgetter(LADDER, CATEGORY, RISK_LEVEL, STAGE, STATE, AUTO_ADVANCED, REOPENED,
                                     BOARD_LOGGED, OVERDUE), rows))
    sums: dict[tuple, list[int]] = {}
    for (*keys, auto_advanced, reopened, board_logged, overdue), n in counted.items():
        figures = sums.setdefault(tuple(keys), [0, 0, 0, 0, 0])
        figures[0] += n
        figures[1] += n if auto_advanced else 0
        figures[2] += n if reopened else 0
        figures[3] += n if board_logged else 0
        figures[4] += n if overdue else 0
    return [_Group(*keys, *figures) for keys, figures in sums.items()]


def _totals(groups: list[_Group]) -> dict[str, int]:
    """The summary's figures, added up from the groups."""
    totals: dict[str, int] = defaultdict(int)
    for g in groups:
        resolved = g.state == State.RESOLVED
        stage = "informal" if g.stage_index == 0 else "formal"
        totals["raised"] += g.n
        totals["resolved"] += g.n if resolved else 0
        totals["withdrawn"] += g.n if g.state == State.WITHDRAWN else 0
        totals["live"] += g.n if g.state in LIVE_STATES else 0
        totals[stage] += g.n
        totals[f"{stage}_resolved"] += g.n if resolved else 0
        totals["auto_advanced"] += g.auto_advanced
        totals["reopened"] += g.reopened
        totals["board_logged"] += g.board_logged
        totals["overdue"] += g.overdue
    return totals


def _by(counts: Mapping[Any, int], key) -> list[tuple[Any, int]]:
    """Counts summed by ``key(what was counted)``, most first, then by key (an empty key last)."""
    sums: dict[Any, int] = defaultdict(int)
    for counted, n in counts.items():
        sums[key(counted)] += n
    return sorted(sums.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))


def _counts(groups: list[_Group], key) -> dict[Any, int]:
    """The groups' counts summed by ``key(group)``."""
    sums: dict[Any, int] = defaultdict(int)
    for g in groups:
        sums[key(g)] += g.n
    return sums


def _categories(groups: list[_Group]) -> list[tuple[str, int]]:
    """Escalations by category label, most first: counted by (ladder, slug), labelled from the ladders'
    categories (a slug a ladder no longer has keeps its slug), and summed where labels meet."""
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for g in groups:
        sums[g.ladder_id, g.category] += g.n
    counts = [(ladder_id, slug, n) for (ladder_id, slug), n in sums.items()]
    labels = {
        (ladder_id, slug): label for ladder_id, slug, label in Category.objects.filter(
            ladder_id__in={ladder_id for ladder_id, _, _ in counts}).values_list("ladder_id", "slug", "label")
    }
    by_label: dict[str, int] = defaultdict(int)
    for ladder_id, slug, n in counts:
        by_label[labels.get((ladder_id, slug), slug)] += n
    return sorted(by_label.items(), key=lambda item: (-item[1], item[0]))


def _resolution_stages(groups: list[_Group]) -> list[tuple[str, int, str | None, int]]:
    """Resolved escalations by procedure name and stage, counted by (ladder, stage) and named from the ladders."""
    sums: dict[tuple[int, int], int] = defaultdict(int)
    for g in groups:
        if g.state == State.RESOLVED:
            sums[g.ladder_id, g.stage_index] += g.n
    counts = [(ladder_id, index, n) for (ladder_id, index), n in sums.items()]
    ladder_ids = {ladder_id for ladder_id, _, _ in counts}
    ladder_names = dict(Ladder.objects.filter(pk__in=ladder_ids).values_list("pk", "name"))
    stage_names = {(ladder_id, index): name for ladder_id, index, name in
                   Stage.objects.filter(ladder_id__in=ladder_ids).values_list("ladder_id", "index", "name")}
    merged: dict[tuple[str, int, str | None], int] = defaultdict(int)
    for ladder_id, index, n in counts:
        merged[ladder_names[ladder_id], index, stage_names.get((ladder_id, index))] += n
    return [(ladder, index, name, n) for (ladder, index, name), n in
            sorted(merged.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or ""))]


@contextmanager
def _report_queries(queryset: QuerySet) -> Iterator[None]:
    """Run the report's queries in one read transaction; on PostgreSQL without JIT compilation.

    The report's aggregates over a year of a partnership's escalations cost more than PostgreSQL's
    ``jit_above_cost``, so each would pay 20 to 60 ms compiling expressions it then runs over a few
    thousand rows in less (docs/performance.md); ``SET LOCAL`` ends with the transaction.
    """
    alias = queryset.db
    with transaction.atomic(using=alias):
        if connections[alias].vendor == "postgresql":
            with connections[alias].cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


@reads_from_replica
def themes_report(*, scope: ReportScope, period: ReportPeriod, now: dt.datetime | None = None) -> ThemesReport:
    """Build the themes report for a scope and period, as aggregates only (see the module docstring)."""
    with _report_queries(scope.escalations):
        return _themes_report(scope=scope, period=period, now=now)


def _themes_report(*, scope: ReportScope, period: ReportPeriod, now: dt.datetime | None = None) -> ThemesReport:
    now = now or timezone.now()
    suppression = scope.suppression
    cohort = scope.escalations.filter(raised_at__gte=period.starts_at, raised_at__lt=period.ends_before)

    rows = _cohort_read(cohort, now=now)
    groups = _groups(rows)
    # Who raised and who received, each counted straight off the rows (their pairs are nearly a group a row).
    raised_by = Counter(map(itemgetter(RAISING), rows))
    received_by = Counter(map(itemgetter(RECEIVING), rows))
    pair_counts = Counter(map(itemgetter(RAISING, RECEIVING), rows))
    totals = _totals(groups)
    targets = _ladder_targets({g.ladder_id for g in groups})
    closures = _closure_days(set(raised_by))
    timescales, within, by_formality, resolved_months = _timescales(
        rows, targets, period, suppression, _WorkingDayCounter(closures))
    stuck = _stuck(rows, targets, closures=closures, now=now)
    summary = _summary(totals, stuck=stuck, within=within, suppression=suppression)

    names = dict(Organisation.objects.filter(
        pk__in=set(raised_by) | (set(received_by) - {None})
    ).values_list("pk", "name"))
    categories = _categories(groups)
    raising = _by(raised_by, lambda raising: names[raising])
    receiving = [
        (name or "The raising organisation itself (single-agency procedure)", n)
        for name, n in _by(received_by, lambda receiving: names[receiving] if receiving is not None else None)
    ]
    risk_counts = _counts(groups, lambda g: g.risk_level)
    risk = [(label, risk_counts.get(value, 0)) for value, label in RiskLevel.choices]

    multi = {(raising, receiving): n for (raising, receiving), n in pair_counts.items()
             if receiving is not None and receiving != raising}
    pairs = _by(multi, lambda pair: (names[pair[0]], names[pair[1]]))
    raisers = sorted({raiser for (raiser, _), _ in pairs})
    receivers = sorted({receiver for (_, receiver), _ in pairs})
    matrix = dict(pairs)
    agency_pairs = Table(
        name="agency-pairs", title="Multi-agency escalations: who challenged whom",
        label_heading="Raised by \\ received by", columns=tuple(receivers),
        rows=tuple(
            Row(label=raiser, cells=tuple(count_cell(matrix.get((raiser, r), 0), suppression) for r in receivers))
            for raiser in raisers
        ),
        description="Rows: the organisation that raised the escalation. Columns: the organisation whose decision "
                    "was challenged.",
    )

    stages = _resolution_stages(groups)
    resolution_stages = _count_table(
        name="resolution-stages", title="Stage at which escalations were resolved", label_heading="Procedure and stage",
        pairs=[(f"{ladder}: stage {index}, {name}", n) for ladder, index, name, n in stages],
        suppression=suppression,
    )

    tables = (
        summary,
        _count_table(name="categories", title="Escalations by category of disagreement", label_heading="Category",
                     pairs=categories, suppression=suppression),
        _count_table(name="raising-organisations", title="Escalations by raising organisation",
                     label_heading="Raising organisation", pairs=raising, suppression=suppression),
        _count_table(name="receiving-organisations", title="Escalations by receiving organisation",
                     label_heading="Receiving organisation", pairs=receiving, suppression=suppression),
        agency_pairs,
        _count_table(name="risk-levels", title="Escalations by risk level", label_heading="Risk level",
                     pairs=risk, suppression=suppression),
        resolution_stages,
        _informal_formal(totals, by_formality, suppression),
        timescales,
        _trend(Counter(map(itemgetter(RAISED_ON), rows)), period, suppression, resolved=resolved_months),
        _missing_challenge(scope, period, suppression),
    )
    return ThemesReport(
        scope_kind=scope.kind, scope_name=scope.name, period=period, generated_at=now,
        suppression=suppression, tables=tables,
    )
