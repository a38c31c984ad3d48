"""Reads for the themes report: who may read which report, and the report itself, as aggregates.

Everything a board member, the QA&P chair or a PSW reads here is a ``reports.figures.Table`` of
labelled counts and statistics: no selector in this module returns an escalation, a case or a
person, so the report cannot carry a child's reference or name, nor a practitioner's name.

The counts and groupings are computed by the database (``aggregate``, ``values`` + ``Count``,
``TruncMonth``). Working days to resolution is the one figure that needs each escalation's dates
(the working-day clock lives in Python: bank holidays and closure days), so it alone reads
``(raised_at, resolved_at, ladder, organisation, stage)`` tuples with ``values_list``; the number
of queries does not grow with the number of escalations.

All figures describe the escalations *raised* in the chosen period: how they were spread, how
they ended, and where they stand now (overdue now, stuck).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone

from core.db import reads_from_replica
from escalations.models import LIVE_STATES, Escalation, State
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
        errors[field] = [f"Enter a real date as YYYY-MM-DD, for example 2026-04-01 (got '{raw}')."]
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
    escalations = Escalation.objects.filter(
        Q(raising_organisation_id__in=members) | Q(receiving_organisation_id__in=members)
        | Q(ladder__partnership_id=partnership.pk)
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


def _ladder_targets(cohort: QuerySet) -> dict[int, _LadderTarget]:
    """Each ladder version's whole timescale: its overall working days where it sets them, else the
    sum of its stages' response times (exceptional stages, entered only after a final decision, aside)."""
    rows = (
        Ladder.objects.filter(pk__in=cohort.values("ladder_id"))
        .annotate(stage_days=Sum("stages__working_days", filter=Q(stages__exceptional=False)))
        .values_list("pk", "slug", "name", "overall_working_days", "stage_days")
    )
    return {pk: _LadderTarget(slug=slug, name=name, target=overall or stage_days)
            for pk, slug, name, overall, stage_days in rows}


def _closure_days(organisation_ids: QuerySet) -> dict[int, frozenset[dt.date]]:
    days: dict[int, set[dt.date]] = defaultdict(set)
    for organisation_id, date in ClosureDay.objects.filter(organisation_id__in=organisation_ids).values_list(
        "organisation_id", "date"
    ):
        days[organisation_id].add(date)
    return {pk: frozenset(dates) for pk, dates in days.items()}


def _grouped(queryset: QuerySet, key: str) -> list[tuple[str | None, int]]:
    return list(queryset.values(key).annotate(n=Count("pk")).order_by("-n", key).values_list(key, "n"))


def _count_table(*, name: str, title: str, label_heading: str, pairs: list[tuple[str, int]],
                 suppression: Suppression, description: str = "") -> Table:
    return Table(
        name=name, title=title, label_heading=label_heading, columns=("Escalations",), description=description,
        rows=tuple(Row(label=label, cells=(count_cell(n, suppression),)) for label, n in pairs),
    )


def _summary(cohort: QuerySet, *, now: dt.datetime, stuck: int, within: tuple[int, int],
             suppression: Suppression) -> tuple[Table, dict[str, int]]:
    totals = cohort.aggregate(
        raised=Count("pk"),
        resolved=Count("pk", filter=Q(state=State.RESOLVED)),
        withdrawn=Count("pk", filter=Q(state=State.WITHDRAWN)),
        live=Count("pk", filter=Q(state__in=LIVE_STATES)),
        informal=Count("pk", filter=Q(stage_index=0)),
        formal=Count("pk", filter=Q(stage_index__gt=0)),
        informal_resolved=Count("pk", filter=Q(stage_index=0, state=State.RESOLVED)),
        formal_resolved=Count("pk", filter=Q(stage_index__gt=0, state=State.RESOLVED)),
        auto_advanced=Count("pk", filter=Q(times_auto_advanced__gt=0)),
        reopened=Count("pk", filter=Q(times_reopened__gt=0)),
        board_logged=Count("pk", filter=Q(board_logged_at__isnull=False)),
    )
    totals["overdue"] = cohort.overdue(now=now).count()
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
    return table, totals


def _timescales(cohort: QuerySet, targets: dict[int, _LadderTarget], suppression: Suppression
                ) -> tuple[Table, tuple[int, int], dict[str, list[int]]]:
    """Working days from raising to resolution, per procedure and overall, against each target."""
    resolved = cohort.filter(state=State.RESOLVED, resolved_at__isnull=False)
    rows = list(resolved.values_list("raised_at", "resolved_at", "ladder_id", "raising_organisation_id", "stage_index"))
    closures = _closure_days(resolved.values("raising_organisation_id"))
    by_slug: dict[str, list[int]] = defaultdict(list)
    within_by_slug: dict[str, int] = defaultdict(int)
    target_sets: dict[str, set[int]] = defaultdict(set)
    names: dict[str, str] = {}
    by_formality: dict[str, list[int]] = {"informal": [], "formal": []}
    every, within_all = [], 0
    for raised_at, resolved_at, ladder_id, organisation_id, stage_index in rows:
        days = clock.working_days_between(raised_at, resolved_at, closure_days=closures.get(organisation_id, ()))
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
    return timescales, (within_all, len(every)), by_formality


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


def _stuck(cohort: QuerySet, targets: dict[int, _LadderTarget], *, now: dt.datetime) -> int:
    """Count the live escalations in mediation, or open for more working days than their whole procedure.

    More than N working days have passed since a moment on local date d exactly when d falls before
    the (N+1)-th working day counted back from today, so each (procedure, organisation) pair becomes
    one date bound and the database counts.
    """
    live = cohort.filter(state__in=LIVE_STATES)
    pairs = list(live.values_list("ladder_id", "raising_organisation_id").distinct().order_by())
    closures = _closure_days(live.values("raising_organisation_id"))
    today = clock.local(now).date()
    rule = Q(state=State.IN_MEDIATION)
    for ladder_id, organisation_id in pairs:
        target = targets[ladder_id].target
        if target is None:
            continue
        closed = closures.get(organisation_id, frozenset())
        day, counted = today, 0
        while True:
            if clock.is_working_day(day, closure_days=closed):
                counted += 1
                if counted == target + 1:
                    break
            day -= dt.timedelta(days=1)
        bound = dt.datetime.combine(day, dt.time.min, tzinfo=clock.LONDON)
        rule |= Q(ladder_id=ladder_id, raising_organisation_id=organisation_id, raised_at__lt=bound)
    return live.filter(rule).count()


def _trend(cohort: QuerySet, period: ReportPeriod, suppression: Suppression) -> Table:
    def monthly(queryset: QuerySet, field: str) -> dict[dt.date, int]:
        found = (
            queryset.annotate(month=TruncMonth(field, tzinfo=clock.LONDON)).values("month")
            .annotate(n=Count("pk")).order_by("month").values_list("month", "n")
        )
        return {(m.date() if isinstance(m, dt.datetime) else m): n for m, n in found}

    raised = monthly(cohort, "raised_at")
    resolved = monthly(
        cohort.filter(resolved_at__gte=period.starts_at, resolved_at__lt=period.ends_before), "resolved_at"
    )
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
    raised = (
        Escalation.objects.filter(in_period, raising_organisation_id=OuterRef("pk")).order_by()
        .values("raising_organisation_id").annotate(n=Count("pk")).values("n")[:1]
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


@reads_from_replica
def themes_report(*, scope: ReportScope, period: ReportPeriod, now: dt.datetime | None = None) -> ThemesReport:
    """Build the themes report for a scope and period, as aggregates only (see the module docstring)."""
    now = now or timezone.now()
    suppression = scope.suppression
    cohort = scope.escalations.filter(raised_at__gte=period.starts_at, raised_at__lt=period.ends_before)

    targets = _ladder_targets(cohort)
    timescales, within, by_formality = _timescales(cohort, targets, suppression)
    stuck = _stuck(cohort, targets, now=now)
    summary, totals = _summary(cohort, now=now, stuck=stuck, within=within, suppression=suppression)

    category_label = Subquery(
        Category.objects.filter(ladder_id=OuterRef("ladder_id"), slug=OuterRef("category")).values("label")[:1]
    )
    labelled = cohort.annotate(category_label=Coalesce(category_label, F("category"), output_field=CharField()))
    categories = _grouped(labelled, "category_label")
    raising = _grouped(cohort, "raising_organisation__name")
    receiving = [
        (name or "The raising organisation itself (single-agency procedure)", n)
        for name, n in _grouped(cohort, "receiving_organisation__name")
    ]
    risk_counts = dict(cohort.values("risk_level").annotate(n=Count("pk")).order_by().values_list("risk_level", "n"))
    risk = [(label, risk_counts.get(value, 0)) for value, label in RiskLevel.choices]

    multi = cohort.filter(receiving_organisation__isnull=False).exclude(
        receiving_organisation_id=F("raising_organisation_id")
    )
    pairs = list(
        multi.values("raising_organisation__name", "receiving_organisation__name").annotate(n=Count("pk"))
        .order_by().values_list("raising_organisation__name", "receiving_organisation__name", "n")
    )
    raisers = sorted({raiser for raiser, _, _ in pairs})
    receivers = sorted({receiver for _, receiver, _ in pairs})
    matrix = {(raiser, receiver): n for raiser, receiver, n in pairs}
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

    stage_name = Subquery(
        Stage.objects.filter(ladder_id=OuterRef("ladder_id"), index=OuterRef("stage_index")).values("name")[:1]
    )
    stages = (
        cohort.filter(state=State.RESOLVED).annotate(stage_name=stage_name)
        .values("ladder__name", "stage_index", "stage_name").annotate(n=Count("pk"))
        .order_by("ladder__name", "stage_index")
        .values_list("ladder__name", "stage_index", "stage_name", "n")
    )
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
        _trend(cohort, period, suppression),
        _missing_challenge(scope, period, suppression),
    )
    return ThemesReport(
        scope_kind=scope.kind, scope_name=scope.name, period=period, generated_at=now,
        suppression=suppression, tables=tables,
    )
