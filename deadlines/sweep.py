"""The deadline clock's sweep: find what is due, apply each ladder's rule, exactly once, in bulk.

``check_deadlines`` and the beat task both call ``deadlines_sweep``. Every run re-derives what is
due from the database: a stage deadline is due while the escalation awaits its holder, the deadline
has passed and ``missed_deadline_handled`` does not name it yet; an overall deadline is due while the
escalation is live, the deadline has passed and ``overall_deadline_handled`` is unset. So a sweep run
twice, or late, or after a worker died half-way, does each thing once and loses nothing.

The sweep works in batches. Each batch is one transaction: claim up to ``batch_size`` due rows (one
indexed statement), decide in memory what each ladder's rule says (the escalation's transitions and
``stage_enter``), then hand the decisions to the escalation's door,
``escalations.services.escalations_deadline_actions_apply``, which writes them with a handful of
bulk statements and queues the e-mails once the transaction commits.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django_fsm import can_proceed

from deadlines.absences import absences_begin
from escalations.events import Action, clock_words
from escalations.models import (
    AWAITING_HOLDER,
    LIVE_STATES,
    Escalation,
    EscalationQuerySet,
    State,
    TimelineEntry,
    overall_unhandled_condition,
    stage_unhandled_condition,
)
from escalations.recipients import Notice, Parties, escalations_notify_many
from escalations.services import (
    DeadlineAction,
    DeadlineAdvanced,
    DeadlineMet,
    DeadlineMissed,
    OverallDeadlineMissed,
    escalations_deadline_actions_apply,
    stage_enter,
)
from notifications.models import Kind
from organisations.models import Absence, Organisation, User
from policies import clock
from policies.models import Ladder, MissedDeadlineAction

logger = logging.getLogger(__name__)

# Rows claimed and handled in one transaction. bench/sweep.py measures 1 to 2 ms a due escalation
# (wall clock, on a busy two-CPU machine), so a batch holds its row locks for a few tenths of a
# second at most: a person acting on one of them waits no longer than that, and a batch that fails
# repeats little. Larger batches gain almost nothing: the fixed cost of a batch (about 20 statements)
# is already under 5% of it.
SWEEP_BATCH_SIZE = 200

# Escalations reminded in one transaction; reminders claim nothing (the database refuses a second
# reminder with the same key), so the only bound needed is on the size of each bulk statement.
REMINDER_BATCH_SIZE = 500

# The morning reminder goes out at this local time on the day a deadline falls.
MORNING_REMINDER_TIME = dt.time(8, 0)
MORNING, LEAD = "morning", "lead"

# What the sweep did to an escalation, as counted in its summary.
ADVANCED = "advanced to the next stage"
NOTIFIED = "deadline missed: notified"
MEETING_IN_TIME = "deadline passed: meeting arranged in time, no action"
OVERALL_NOTIFIED = "overall timescale missed: notified"
FAILED = "could not be handled (logged; retried next sweep)"
REMINDED = "reminded"


@dataclass
class SweepResult:
    """What one run did: a count per outcome and one line per escalation."""

    counts: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)
    notifications: int = 0

    def add(self, escalation_id: int, outcome: str, detail: str) -> None:
        self.counts[outcome] += 1
        self.details.append(f"escalation {escalation_id}: {detail}")

    def note(self, outcome: str, line: str) -> None:
        """Count something done that is not about one escalation's deadline (an absence beginning)."""
        self.counts[outcome] += 1
        self.details.append(line)

    def lines(self) -> list[str]:
        return self.details

    def summary(self) -> str:
        if not self.counts:
            return "Nothing due."
        parts = [f"{outcome}: {n}" for outcome, n in sorted(self.counts.items())]
        return "; ".join(parts) + f"; notifications created: {self.notifications}"


# --- what is due ---------------------------------------------------------------------------------------
def _stage_due_q(now: dt.datetime) -> Q:
    return stage_unhandled_condition() & Q(stage_deadline__lte=now)


def _overall_due_q(now: dt.datetime) -> Q:
    return overall_unhandled_condition() & Q(overall_deadline__lte=now)


def escalations_due(*, now: dt.datetime) -> EscalationQuerySet:
    """Escalations with a stage or overall deadline that has passed and is not handled yet.

    One query over the partial indexes ``esc_stage_unhandled`` and ``esc_overall_unhandled``, which hold
    only the rows whose deadline the clock has still to handle: each arm is a range scan on the deadline
    up to ``now``, so the cost follows the escalations due, not the number live (live rows whose
    deadline was handled already are not in the indexes).
    """
    # Annotated, because mypy reads ``Escalation`` as Any (its django_fsm mixin is lost to the plugin).
    due: EscalationQuerySet = Escalation.objects.filter(_stage_due_q(now) | _overall_due_q(now)).order_by()
    return due


def _is_stage_due(esc: Escalation, now: dt.datetime) -> bool:
    return (
        esc.state in AWAITING_HOLDER
        and esc.stage_deadline <= now
        and esc.missed_deadline_handled != esc.stage_deadline
    )


def _is_overall_due(esc: Escalation, now: dt.datetime) -> bool:
    return (esc.state in LIVE_STATES and esc.overall_deadline is not None and esc.overall_deadline <= now
            and not esc.overall_deadline_handled)


def _claim(*, now: dt.datetime, batch_size: int, skip: Iterable[int]) -> list[int]:
    """Claim up to ``batch_size`` due escalations for this transaction and return their ids.

    One statement. On PostgreSQL the due rows are locked ``FOR UPDATE SKIP LOCKED``
    (``_due_locked_sql``): a concurrent sweep takes other rows, and a row it handled and committed
    meanwhile is re-checked and no longer matches. On SQLite, which has one writer at a time, it is an
    UPDATE that changes nothing (``version`` to itself), as the transaction's first statement: it waits
    for any other writer and then applies its condition to what that writer committed. The change is
    counted in ``version`` by the writes (``escalations_deadline_actions_apply``, ``_uncounted_count``).
    """
    skip = list(skip)
    if connection.vendor == "postgresql":
        sql, params = _due_locked_sql(now=now, batch_size=batch_size, skip=skip)
    else:
        due, params = escalations_due(now=now).exclude(pk__in=skip).values("pk")[:batch_size].query.sql_with_params()
        qn = connection.ops.quote_name
        table, pk = qn(Escalation._meta.db_table), qn(Escalation._meta.pk.column)
        version = qn(Escalation._meta.get_field("version").column)
        sql = f"UPDATE {table} SET {version} = {version} WHERE {pk} IN ({due}) RETURNING {pk}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _due_locked_sql(*, now: dt.datetime, batch_size: int, skip: list[int]) -> tuple[str, tuple[Any, ...]]:
    """The due rows for PostgreSQL's claim, each deadline read in its order off its own partial index.

    One sub-select of both deadlines (``escalations_due``) let the plan depend on the rows live: the
    planner estimates a tenth of the table due (it cannot know that the live rows whose deadline passed
    were all handled), so under the ``LIMIT`` it chose a scan of the whole table once 50,000 were live
    (31 ms a batch, against 0.1 ms for the indexes; docs/performance.md). Taken apart, each arm is the
    earliest deadlines of ``esc_stage_unhandled`` or ``esc_overall_unhandled`` up to the limit, which
    no estimate makes dearer than reading the table. The stage arm first; the overall arm only for
    what room is left, without the rows the first holds already.
    """
    def arm(condition: Q, order: str, *, without: str | None) -> tuple[str, tuple[Any, ...]]:
        rows = Escalation.objects.filter(condition).exclude(pk__in=skip)
        if without is not None:
            rows = rows.exclude(pk__in=RawSQL(f"SELECT pk FROM {without}", ()))
        locked = rows.order_by(order).select_for_update(skip_locked=True).values("pk")[:batch_size]
        sql: str
        params: tuple[Any, ...]
        sql, params = locked.query.sql_with_params()
        return sql, params

    stage_sql, stage_params = arm(_stage_due_q(now), "stage_deadline", without=None)
    overall_sql, overall_params = arm(_overall_due_q(now), "overall_deadline", without="due_stage")
    sql = (f"WITH due_stage AS ({stage_sql}), due_overall AS ({overall_sql}) "
           "SELECT pk FROM due_stage UNION ALL SELECT pk FROM due_overall LIMIT %s")
    return sql, (*stage_params, *overall_params, batch_size)


def _uncounted_count(ids: Iterable[int]) -> None:
    """Count the clock's claim in ``version`` for claimed rows it wrote nothing to (one it could not handle)."""
    ids = list(ids)
    if ids:
        Escalation.objects.filter(pk__in=ids).update(version=F("version") + 1)


# --- shared rows: one instance per ladder, organisation and person for the whole sweep ----------------
class _Cache:
    """Ladders (with stages and rules), organisations and people, loaded once per sweep.

    Sharing one instance per row keeps what they cache (a ladder's stages, an organisation's closure
    days, a person's chain of line managers) for every escalation that uses them. The people, with
    each organisation's PSWs and each escalation's participants, are the recipient resolver's
    ``Parties``.
    """

    def __init__(self) -> None:
        self.ladders: dict[int, Ladder] = {}
        self.organisations: dict[int, Organisation] = {}
        self.parties = Parties()
        self.users = self.parties.users
        self.absent_ids: set[int] | None = None  # who is away today: read once, if a stage is entered

    def attach(self, rows: Sequence[Escalation]) -> None:
        ladder_ids = {e.ladder_id for e in rows} - self.ladders.keys()
        if ladder_ids:
            for ladder in Ladder.objects.filter(pk__in=ladder_ids).prefetch_related("stages", "risk_rules"):
                self.ladders[ladder.pk] = ladder
        org_ids = ({e.raising_organisation_id for e in rows}
                   | {e.receiving_organisation_id for e in rows if e.receiving_organisation_id is not None})
        org_ids -= self.organisations.keys()
        if org_ids:
            self.organisations.update(Organisation.objects.in_bulk(org_ids))
            self.parties.psws_load(org_ids)
        user_ids = {e.raised_by_id for e in rows} | {e.holder_id for e in rows if e.holder_id}
        self.users.update(User.objects.in_bulk(user_ids - self.users.keys()))
        for esc in rows:
            esc.ladder = self.ladders[esc.ladder_id]
            esc.raising_organisation = self.organisations[esc.raising_organisation_id]
            if esc.receiving_organisation_id:
                esc.receiving_organisation = self.organisations[esc.receiving_organisation_id]
            esc.raised_by = self.users[esc.raised_by_id]
            if esc.holder_id:
                esc.holder = self.users[esc.holder_id]


# --- deciding, one escalation at a time, in memory -----------------------------------------------------
@dataclass
class _Decisions:
    """What one batch (or one escalation of it) decided: the door's actions and the summary's lines."""

    actions: list[DeadlineAction] = field(default_factory=list)
    outcomes: list[tuple[int, str, str]] = field(default_factory=list)

    def merge(self, other: _Decisions) -> None:
        self.actions.extend(other.actions)
        self.outcomes.extend(other.outcomes)


def _decide_stage(esc: Escalation, *, now: dt.datetime, arranged_at: dict[int, dt.datetime],
                  decided: _Decisions, cache: _Cache) -> None:
    """Apply the ladder's missed-deadline rule for the escalation's risk level (CONTRACT section 3)."""
    missed = esc.stage_deadline
    if (esc.state == State.MEETING_ARRANGED and arranged_at.get(esc.pk, missed) <= missed
            and esc.meeting_at is not None and esc.meeting_at <= missed):
        # Bexley 5.4: a meeting arranged within the timescale stops the rule (not the overdue flag). A
        # meeting set for after the deadline is recorded, but the stage is not met in time (CONTRACT 8.4):
        # the rule applies as if no meeting were arranged.
        decided.actions.append(DeadlineMet(esc))
        decided.outcomes.append((esc.pk, MEETING_IN_TIME,
                                 f"deadline of {clock_words(missed)} passed; a meeting was arranged in time"))
        return
    # A meeting was arranged, but for after the deadline or only once it had passed: the entry says so.
    late_meeting = esc.meeting_at if esc.state == State.MEETING_ARRANGED else None
    ladder = esc.ladder
    rule = ladder.rule_for(esc.risk_level)
    nxt = esc.next_stage_index()
    next_stage = ladder.stage(nxt) if nxt is not None else None
    next_is_open = next_stage is not None and not next_stage.exceptional
    if (nxt is not None and next_is_open and rule.on_missed_deadline == MissedDeadlineAction.ADVANCE
            and can_proceed(esc.escalate)):
        before, from_stage = esc.state, esc.stage
        esc.escalate(to_stage=nxt)
        if cache.absent_ids is None:
            cache.absent_ids = Absence.objects.absent_ids(clock.local(now).date())
        previous = stage_enter(escalation=esc, index=nxt, now=now, require_holder=False, absent_ids=cache.absent_ids)
        decided.actions.append(DeadlineAdvanced(esc, from_state=before, from_stage_name=from_stage.name,
                                                previous_holder=previous, missed=missed,
                                                late_meeting=late_meeting))
        holder = esc.holder.username if esc.holder is not None else "nobody (no one holds the role)"
        decided.outcomes.append((esc.pk, ADVANCED, f"advanced to stage {nxt} ({esc.stage.name}), held by {holder}, "
                                                   f"due {clock_words(esc.stage_deadline)}"))
        return
    decided.actions.append(DeadlineMissed(
        esc, missed=missed, rule=rule.on_missed_deadline,
        next_stage_name=next_stage.name if next_stage is not None and next_is_open else None,
        tell_psw=rule.on_missed_deadline == MissedDeadlineAction.ADVANCE, late_meeting=late_meeting,
    ))
    decided.outcomes.append((esc.pk, NOTIFIED, f"deadline of {clock_words(missed)} missed at stage {esc.stage_index} "
                                               f"({esc.stage.name}): "
                                               f"{'the raiser may proceed' if next_is_open else 'the last stage'}"))


def _decide_overall(esc: Escalation, *, decided: _Decisions) -> None:
    """Stoke 4: tell the raiser, the holder and the PSW once that the overall timescale has passed."""
    deadline = esc.overall_deadline
    assert deadline is not None, "only an escalation with an overall deadline is due for it"
    decided.actions.append(OverallDeadlineMissed(esc))
    decided.outcomes.append((esc.pk, OVERALL_NOTIFIED, f"overall timescale of {clock_words(deadline)} missed"))


def _arranged_at(rows: Sequence[Escalation]) -> dict[int, dt.datetime]:
    """When each escalation awaiting a meeting had it arranged (its latest meeting or panel entry)."""
    ids = [e.pk for e in rows if e.state == State.MEETING_ARRANGED]
    if not ids:
        return {}
    return dict(
        TimelineEntry.objects.filter(escalation_id__in=ids, action__in=(Action.ARRANGE_MEETING, Action.MOVE_MEETING,
                                                                    Action.CONVENE_PANEL))
        .values("escalation_id").annotate(last=Max("at")).order_by().values_list("escalation_id", "last")
    )


def _batch_handle(ids: list[int], *, now: dt.datetime, cache: _Cache, result: SweepResult,
                  failed: set[int]) -> None:
    """Decide every claimed escalation in memory, then write the batch through the escalation's door."""
    rows = list(Escalation.objects.filter(pk__in=ids).select_related("case").order_by("pk"))
    cache.attach(rows)
    arranged_at = _arranged_at(rows)
    decided = _Decisions()
    for esc in rows:
        own = _Decisions()
        try:
            stage_due, overall_due = _is_stage_due(esc, now), _is_overall_due(esc, now)
            if stage_due:
                _decide_stage(esc, now=now, arranged_at=arranged_at, decided=own, cache=cache)
            if overall_due:
                _decide_overall(esc, decided=own)
        except Exception:
            # A misconfigured ladder must not stop the clock for everyone else: log it, write nothing
            # for this row (it stays due and is tried again next run) and skip it for this run.
            logger.exception("The deadline clock could not handle escalation %s", esc.pk)
            failed.add(esc.pk)
            result.add(esc.pk, FAILED, "could not be handled; see the log")
            continue
        decided.merge(own)
    result.notifications += escalations_deadline_actions_apply(actions=decided.actions, now=now,
                                                               parties=cache.parties)
    _uncounted_count(set(ids) - {action.escalation.pk for action in decided.actions})
    for pk, outcome, detail in decided.outcomes:
        result.add(pk, outcome, detail)


# --- the sweep -----------------------------------------------------------------------------------------
def deadlines_sweep(*, now: dt.datetime | None = None, batch_size: int = SWEEP_BATCH_SIZE) -> SweepResult:
    """Pass on the stages of people whose absence has begun (``absences.absences_begin``), then handle
    every stage and overall deadline that has passed and is not handled yet, once each.

    Works in transactions of at most ``batch_size`` escalations; a batch that fails rolls back alone
    and what it held stays due for the next run.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    now = now or timezone.now()
    result = SweepResult()
    # Absences first: a stage whose holder is away from today passes on before its deadline is judged.
    for outcome, line in absences_begin(now=now):
        result.note(outcome, line)
    cache = _Cache()
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            ids = _claim(now=now, batch_size=batch_size, skip=failed)
            if not ids:
                break
            _batch_handle(ids, now=now, cache=cache, result=result, failed=failed)
    return result


# --- reminders before a deadline -----------------------------------------------------------------------
def _reminder_window(which: str, now: dt.datetime, lead: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    if which == MORNING:
        today = clock.local(now).date()
        end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), tzinfo=clock.LONDON)
        return now, end
    if which == LEAD:
        return now, now + lead
    raise ValueError(f"which must be {MORNING!r} or {LEAD!r}, not {which!r}")


def deadline_reminders_send(*, which: str, now: dt.datetime | None = None,
                            lead: dt.timedelta | None = None,
                            batch_size: int = REMINDER_BATCH_SIZE) -> SweepResult:
    """Remind each holder once of a deadline still to come.

    ``which="morning"``: every deadline later today (beat runs it at 08:00 Europe/London).
    ``which="lead"``: every deadline within ``lead`` from now (``settings.DEADLINE_REMINDER_HOURS``).
    The key of each reminder names the deadline and the kind of reminder, so each is sent once
    however often or late this runs.
    """
    now = now or timezone.now()
    if lead is None:
        lead = dt.timedelta(hours=settings.DEADLINE_REMINDER_HOURS)
    start, end = _reminder_window(which, now, lead)
    result = SweepResult()
    ids = list(
        Escalation.objects.filter(state__in=AWAITING_HOLDER, stage_deadline__gt=start, stage_deadline__lte=end,
                                  holder__isnull=False)
        .order_by().values_list("pk", flat=True)
    )
    cache = _Cache()
    for i in range(0, len(ids), batch_size):
        with transaction.atomic():
            rows = list(Escalation.objects.filter(pk__in=ids[i:i + batch_size]).select_related("case").order_by("pk"))
            cache.attach(rows)
            notices = [Notice(Kind.DEADLINE_REMINDER, esc, deadline=esc.stage_deadline, discriminator=which)
                       for esc in rows]
            result.notifications += escalations_notify_many(notices, parties=cache.parties)
            for esc in rows:
                result.add(esc.pk, REMINDED, f"{which} reminder of the deadline {clock_words(esc.stage_deadline)}")
    return result
