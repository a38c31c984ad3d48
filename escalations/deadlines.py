"""The deadline engine: find what is due, apply each ladder's rule, exactly once, in bulk.

``check_deadlines`` and the beat task both call ``deadlines_sweep``. Every run re-derives what is
due from the database: a stage deadline is due while the escalation awaits its holder, the deadline
has passed and ``missed_deadline_handled`` does not name it yet; an overall deadline is due while the
escalation is live, the deadline has passed and ``overall_deadline_handled`` is unset. So a sweep run
twice, or late, or after a worker died half-way, does each thing once and loses nothing.

The sweep works in batches. Each batch is one transaction: claim up to ``batch_size`` due rows (one
indexed statement), decide in memory what each ladder's rule says, then write everything with a
handful of bulk statements (the escalations, the new holders as participants, the timeline entries,
the notifications) and queue the e-mails once the transaction commits.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Model, Q
from django.db.models.constants import OnConflict
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from django.utils.hashable import make_hashable
from django_fsm import can_proceed

from notifications.models import Kind, Notification
from notifications.recipients import (
    HOLDER, PART_RESOLVERS, PARTICIPANTS, PREVIOUS_HOLDER, PSW, PSW_IF_SERIOUS, RAISER, RECIPIENTS,
    SERIOUS_RISK_LEVELS,
)
from notifications.services import dedupe_key, is_urgent, message_for
from notifications.texts import part_of
from organisations.models import Organisation, Role, User
from policies import clock
from policies.models import Ladder, MissedDeadlineAction

from .events import Action
from .models import AWAITING_HOLDER, LIVE_STATES, Escalation, Participant, State, TimelineEntry
from .services import STAGE_FIELDS, stage_enter

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

# Escalation fields an advance sets (the claim has already counted the new version, and
# ``times_auto_advanced`` is counted up in the database).
ADVANCE_FIELDS = sorted({*STAGE_FIELDS, "state", "resolved_at", "closed_at"})
_ADVANCE_ATTNAMES = [Escalation._meta.get_field(name).attname for name in ADVANCE_FIELDS]

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

    counts: Counter = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)
    notifications: int = 0

    def add(self, escalation_id: int, outcome: str, detail: str) -> None:
        self.counts[outcome] += 1
        self.details.append(f"escalation {escalation_id}: {detail}")

    def lines(self) -> list[str]:
        return self.details

    def summary(self) -> str:
        if not self.counts:
            return "Nothing due."
        parts = [f"{outcome}: {n}" for outcome, n in sorted(self.counts.items())]
        return "; ".join(parts) + f"; notifications created: {self.notifications}"


# --- what is due ---------------------------------------------------------------------------------------
def _stage_due_q(now: dt.datetime) -> Q:
    return Q(state__in=AWAITING_HOLDER, stage_deadline__lte=now) & (
        Q(missed_deadline_handled__isnull=True) | ~Q(missed_deadline_handled=F("stage_deadline"))
    )


def _overall_due_q(now: dt.datetime) -> Q:
    return Q(state__in=LIVE_STATES, overall_deadline__lte=now, overall_deadline_handled=False)


def escalations_due(*, now: dt.datetime):
    """Escalations with a stage or overall deadline that has passed and is not handled yet.

    One query over the indexes ``esc_due_stage`` and ``esc_due_overall``: each is a range scan on
    (state, deadline) up to ``now``, so the cost follows the escalations whose deadline has passed,
    not the number open.
    """
    return Escalation.objects.filter(_stage_due_q(now) | _overall_due_q(now)).order_by()


def _is_stage_due(esc: Escalation, now: dt.datetime) -> bool:
    return esc.state in AWAITING_HOLDER and esc.stage_deadline <= now and esc.missed_deadline_handled != esc.stage_deadline


def _is_overall_due(esc: Escalation, now: dt.datetime) -> bool:
    return (esc.state in LIVE_STATES and esc.overall_deadline is not None and esc.overall_deadline <= now
            and not esc.overall_deadline_handled)


def _claim(*, now: dt.datetime, batch_size: int, skip: Iterable[int]) -> list[int]:
    """Claim up to ``batch_size`` due escalations for this transaction and return their ids.

    One statement: an UPDATE that counts the clock's change in ``version`` (so a form opened before
    it is refused, as for any change) over a sub-select of the due rows. On PostgreSQL the sub-select
    is ``FOR UPDATE SKIP LOCKED``: a concurrent sweep takes other rows, and a row it handled and
    committed meanwhile is re-checked and no longer matches. On SQLite, which has one writer at a
    time, the UPDATE is the transaction's first statement, so it waits for any other writer and then
    applies its condition to what that writer committed. ``RETURNING`` names the rows now held.
    """
    due = escalations_due(now=now).exclude(pk__in=list(skip)).select_for_update(skip_locked=True)
    subquery, params = due.values("pk")[:batch_size].query.sql_with_params()
    qn = connection.ops.quote_name
    table, pk = qn(Escalation._meta.db_table), qn(Escalation._meta.pk.column)
    version = qn(Escalation._meta.get_field("version").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {version} = {version} + 1 WHERE {pk} IN ({subquery}) RETURNING {pk}", params
        )
        return sorted(row[0] for row in cursor.fetchall())


# --- shared rows: one instance per ladder, organisation and person for the whole sweep ----------------
class _Cache:
    """Ladders (with stages and rules), organisations and people, loaded once per sweep.

    Sharing one instance per row keeps what they cache (a ladder's stages, an organisation's closure
    days, a person's chain of line managers) for every escalation that uses them.
    """

    def __init__(self) -> None:
        self.ladders: dict[int, Ladder] = {}
        self.organisations: dict[int, Organisation] = {}
        self.users: dict[int, User] = {}
        self.psws: dict[int, list[User]] = {}

    def attach(self, rows: Sequence[Escalation]) -> None:
        ladder_ids = {e.ladder_id for e in rows} - self.ladders.keys()
        if ladder_ids:
            for ladder in Ladder.objects.filter(pk__in=ladder_ids).prefetch_related("stages", "risk_rules"):
                self.ladders[ladder.pk] = ladder
        org_ids = {e.raising_organisation_id for e in rows} | {e.receiving_organisation_id for e in rows}
        org_ids = {pk for pk in org_ids if pk is not None} - self.organisations.keys()
        if org_ids:
            self.organisations.update(Organisation.objects.in_bulk(org_ids))
            for pk in org_ids:
                self.psws[pk] = []
            for psw in User.objects.filter(organisation_id__in=org_ids, role=Role.PSW, is_active=True):
                self.psws[psw.organisation_id].append(psw)
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

    def psws_of(self, esc: Escalation) -> list[User]:
        found = list(self.psws.get(esc.raising_organisation_id, []))
        if esc.receiving_organisation_id:
            found += self.psws.get(esc.receiving_organisation_id, [])
        return found


# --- bulk inserts ---------------------------------------------------------------------------------------
def _insert_many(model: type[Model], rows: Sequence[dict], *, ignore_conflicts: bool = False) -> None:
    """INSERT rows given as {attname: value}, in as few statements as the database takes.

    What ``bulk_create`` does without building a model instance per row and converting every value
    anew: the rows of one batch share most of their values (kind, times, stage, deadline), and that
    overhead was about 40% of the sweep's time (bench/sweep.py). A field a row leaves out gets its
    default, evaluated once for the call. No primary keys come back.
    """
    if not rows:
        return
    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    columns = [(f, f.attname, f.get_default()) for f in fields]
    converted: dict[tuple, object] = {}
    values: list = []
    for row in rows:
        for f, attname, default in columns:
            value = row.get(attname, default)
            try:
                key = (attname, type(value), value)
                prepared = converted[key]
            except KeyError:
                prepared = converted[key] = f.get_db_prep_save(value, connection)
            except TypeError:  # a JSON dict or list: keyed by its hashable form
                key = (attname, type(value), make_hashable(value))
                if key not in converted:
                    converted[key] = f.get_db_prep_save(value, connection)
                prepared = converted[key]
            values.append(prepared)
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    head = (f"{ops.insert_statement(on_conflict=on_conflict)} {ops.quote_name(model._meta.db_table)} "
            f"({', '.join(ops.quote_name(f.column) for f in fields)}) VALUES ")
    tail = ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or ""
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(ops.bulk_batch_size(fields, rows), 1)
    width = len(fields)
    with connection.cursor() as cursor:
        for first in range(0, len(rows), per_statement):
            count = min(per_statement, len(rows) - first)
            cursor.execute(head + ", ".join([placeholders] * count) + " " + tail,
                           values[first * width:(first + count) * width])


# --- notifications in bulk -----------------------------------------------------------------------------
@dataclass
class _Notice:
    kind: str
    escalation: Escalation
    deadline: dt.datetime | None
    previous_holder: User | None = None
    discriminator: str = ""
    extra_parts: tuple[str, ...] = ()


# Parts resolved from what the batch has already loaded. Everyone they name may open the escalation
# (the raiser, holders and participants are participants; a PSW sees their organisation's), so the
# per-person visibility check of ``notification_create_many`` is not needed for them.
_BATCH_PARTS = {RAISER, HOLDER, PREVIOUS_HOLDER, PSW, PSW_IF_SERIOUS, PARTICIPANTS}


def _recipients(notice: _Notice, cache: _Cache, participants: dict[int, list[User]]) -> list[User]:
    """The people ``notifications.recipients.RECIPIENTS`` names for this event, active and once each."""
    esc = notice.escalation
    seen: dict[int, User] = {}
    for part in (*RECIPIENTS[notice.kind], *notice.extra_parts):
        if part == RAISER:
            users = [esc.raised_by]
        elif part == HOLDER:
            users = [esc.holder] if esc.holder_id else []
        elif part == PREVIOUS_HOLDER:
            users = [notice.previous_holder] if notice.previous_holder else []
        elif part == PSW or (part == PSW_IF_SERIOUS and esc.risk_level in SERIOUS_RISK_LEVELS):
            users = cache.psws_of(esc)
        elif part == PSW_IF_SERIOUS:
            users = []
        elif part == PARTICIPANTS:
            users = participants.get(esc.pk, [])
        else:
            users = [u for u in PART_RESOLVERS[part](esc, {"previous_holder": notice.previous_holder})
                     if u is not None and Escalation.objects.visible_to(u).filter(pk=esc.pk).exists()]
        for user in users:
            if user is not None and user.is_active:
                seen.setdefault(user.pk, user)
    return list(seen.values())


def _notifications_create(notices: Sequence[_Notice], cache: _Cache) -> int:
    """Create the notifications of these events in bulk; queue their e-mail once the batch commits.

    Each row carries ``notifications.services.dedupe_key``, so the database refuses a second one for
    the same person, event and deadline: a retried batch or a concurrent run adds nothing.
    """
    if not notices:
        return 0
    participants: dict[int, list[User]] = defaultdict(list)
    wanted = {n.escalation.pk for n in notices if PARTICIPANTS in RECIPIENTS[n.kind]}
    if wanted:
        for p in Participant.objects.filter(escalation_id__in=wanted).select_related("user"):
            participants[p.escalation_id].append(p.user)
    now = timezone.now()
    rows: dict[str, dict] = {}
    for notice in notices:
        esc = notice.escalation
        urgent = is_urgent(notice.kind, esc)
        # notifications.texts writes one line per kind and per part the reader plays, so the line is
        # composed once per part rather than once per reader.
        lines: dict[str, str] = {}
        for user in _recipients(notice, cache, participants):
            part = part_of(esc, user)
            if part not in lines:
                lines[part] = message_for(notice.kind, esc, actor=None, recipient=user)
            key = dedupe_key(recipient_id=user.pk, kind=notice.kind, escalation_id=esc.pk,
                             stage_index=esc.stage_index, deadline=notice.deadline,
                             discriminator=notice.discriminator)
            rows[key] = {
                "recipient_id": user.pk, "kind": notice.kind, "escalation_id": esc.pk,
                "stage_index": esc.stage_index, "deadline": notice.deadline, "dedupe_key": key,
                "urgent": urgent, "created_at": now, "message": lines[part],
            }
    # The database refuses a duplicate key and skips it; the rows that are new carry this run's
    # ``created_at`` (to the microsecond), which is how they are told from older ones.
    _insert_many(Notification, list(rows.values()), ignore_conflicts=True)
    ids = list(Notification.objects.filter(dedupe_key__in=list(rows), created_at=now).values_list("pk", flat=True))
    if ids:
        transaction.on_commit(lambda: _emails_queue(ids))
    return len(ids)


def _emails_queue(notification_ids: list[int]) -> None:
    from notifications.tasks import send_notification_emails

    send_notification_emails.delay(notification_ids)


# --- one batch -----------------------------------------------------------------------------------------
@dataclass
class _Plan:
    """The writes one batch will make, gathered while deciding."""

    advanced: list[Escalation] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)  # the current stage deadline is now handled
    overall: list[int] = field(default_factory=list)  # the overall deadline is now handled
    participants: list[Participant] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)  # TimelineEntry rows, by column
    notices: list[_Notice] = field(default_factory=list)
    outcomes: list[tuple[int, str, str]] = field(default_factory=list)
    notifications: int = 0

    def merge(self, other: "_Plan") -> None:
        for name in ("advanced", "marked", "overall", "participants", "timeline", "notices", "outcomes"):
            getattr(self, name).extend(getattr(other, name))

    def entry(self, esc: Escalation, *, action: str, from_state: str, note: str, params: dict,
              now: dt.datetime) -> None:
        """Add the timeline entry of what the clock did (actor empty: the system)."""
        self.timeline.append({
            "escalation_id": esc.pk, "at": now, "actor_id": None, "action": action, "from_state": from_state,
            "to_state": esc.state, "stage_index": esc.stage_index, "note": note, "params": params,
        })


def _when(instant: dt.datetime) -> str:
    return f"{timezone.localtime(instant, clock.LONDON):%H:%M on %A %d %B %Y}"


def _decide_stage(esc: Escalation, *, now: dt.datetime, arranged_at: dict[int, dt.datetime], plan: _Plan) -> None:
    """Apply the ladder's missed-deadline rule for the escalation's risk level (CONTRACT section 3)."""
    missed = esc.stage_deadline
    if esc.state == State.MEETING_ARRANGED and arranged_at.get(esc.pk, missed) <= missed:
        # Bexley 5.4: a meeting arranged within the timescale stops the rule (not the overdue flag).
        plan.marked.append(esc.pk)
        plan.outcomes.append((esc.pk, MEETING_IN_TIME,
                              f"deadline of {_when(missed)} passed; a meeting was arranged in time"))
        return
    ladder = esc.ladder
    rule = ladder.rule_for(esc.risk_level)
    nxt = esc.next_stage_index()
    next_is_open = nxt is not None and not ladder.stage(nxt).exceptional
    if rule.on_missed_deadline == MissedDeadlineAction.ADVANCE and next_is_open and can_proceed(esc.escalate):
        before, from_stage = esc.state, esc.stage
        esc.escalate(to_stage=nxt)
        esc.times_auto_advanced += 1
        previous = stage_enter(escalation=esc, index=nxt, now=now, require_holder=False)
        plan.advanced.append(esc)
        if esc.holder_id:
            plan.participants.append(Participant(escalation=esc, user=esc.holder, reason="holder"))
        plan.entry(esc, action=Action.AUTO_ADVANCE, from_state=before, now=now,
                   note=f"The deadline of {_when(missed)} at {from_stage.name} passed with no meeting arranged: "
                        f"moved to {esc.stage.name}.",
                   params={"to_stage": nxt, "holder": esc.holder.username if esc.holder_id else None,
                           "missed_deadline": missed.isoformat()})
        plan.notices.append(_Notice(Kind.AUTO_ADVANCED, esc, deadline=esc.stage_deadline, previous_holder=previous))
        holder = esc.holder.username if esc.holder_id else "nobody (no one holds the role)"
        plan.outcomes.append((esc.pk, ADVANCED, f"advanced to stage {nxt} ({esc.stage.name}), held by {holder}, "
                                                f"due {_when(esc.stage_deadline)}"))
        return
    plan.marked.append(esc.pk)
    if next_is_open:
        note = (f"The deadline of {_when(missed)} passed with no meeting arranged. The raiser may proceed to "
                f"the next level ({ladder.stage(nxt).name}); the holder is reminded.")
    else:
        note = (f"The deadline of {_when(missed)} passed with no meeting arranged. There is no further stage to "
                "move to: the holder, the raiser and the principal social worker are told.")
    plan.entry(esc, action=Action.DEADLINE_MISSED, from_state=esc.state, note=note, now=now,
               params={"deadline": missed.isoformat(), "rule": rule.on_missed_deadline,
                       "last_stage": not next_is_open})
    # The table adds the PSW for serious risk levels; where the rule would advance but there is
    # nowhere to go, the PSW is told whatever the risk level (CONTRACT section 3).
    extra = (PSW,) if rule.on_missed_deadline == MissedDeadlineAction.ADVANCE else ()
    plan.notices.append(_Notice(Kind.DEADLINE_MISSED, esc, deadline=missed, extra_parts=extra))
    plan.outcomes.append((esc.pk, NOTIFIED, f"deadline of {_when(missed)} missed at stage {esc.stage_index} "
                                            f"({esc.stage.name}): "
                                            f"{'the raiser may proceed' if next_is_open else 'the last stage'}"))


def _decide_overall(esc: Escalation, *, now: dt.datetime, plan: _Plan) -> None:
    """Stoke 4: tell the raiser, the holder and the PSW once that the overall timescale has passed."""
    esc.overall_deadline_handled = True
    plan.overall.append(esc.pk)
    days = esc.ladder.overall_working_days
    plan.entry(esc, action=Action.OVERALL_DEADLINE_MISSED, from_state=esc.state, now=now,
               note=f"The procedure's overall timescale{f' of {days} working days' if days else ''} passed at "
                    f"{_when(esc.overall_deadline)}.",
               params={"overall_deadline": esc.overall_deadline.isoformat()})
    plan.notices.append(_Notice(Kind.OVERALL_DEADLINE_MISSED, esc, deadline=esc.overall_deadline))
    plan.outcomes.append((esc.pk, OVERALL_NOTIFIED, f"overall timescale of {_when(esc.overall_deadline)} missed"))


def _arranged_at(rows: Sequence[Escalation]) -> dict[int, dt.datetime]:
    """When each escalation awaiting a meeting had it arranged (its latest arrange_meeting entry)."""
    ids = [e.pk for e in rows if e.state == State.MEETING_ARRANGED]
    if not ids:
        return {}
    return dict(
        TimelineEntry.objects.filter(escalation_id__in=ids, action=Action.ARRANGE_MEETING)
        .values("escalation_id").annotate(last=Max("at")).order_by().values_list("escalation_id", "last")
    )


def _batch_handle(ids: list[int], *, now: dt.datetime, cache: _Cache, result: SweepResult,
                  failed: set[int]) -> None:
    """Decide every claimed escalation in memory, then write the batch in bulk."""
    rows = list(Escalation.objects.filter(pk__in=ids).select_related("case").order_by("pk"))
    cache.attach(rows)
    arranged_at = _arranged_at(rows)
    plan = _Plan()
    for esc in rows:
        own = _Plan()
        try:
            stage_due, overall_due = _is_stage_due(esc, now), _is_overall_due(esc, now)
            if stage_due:
                _decide_stage(esc, now=now, arranged_at=arranged_at, plan=own)
            if overall_due:
                _decide_overall(esc, now=now, plan=own)
        except Exception:
            # A misconfigured ladder must not stop the clock for everyone else: log it, write nothing
            # for this row (it stays due and is tried again next run) and skip it for this run.
            logger.exception("The deadline clock could not handle escalation %s", esc.pk)
            failed.add(esc.pk)
            result.add(esc.pk, FAILED, "could not be handled; see the log")
            continue
        plan.merge(own)
    _plan_write(plan, cache=cache)
    for pk, outcome, detail in plan.outcomes:
        result.add(pk, outcome, detail)
    result.notifications += plan.notifications


def _advance_groups(advanced: Sequence[Escalation]) -> list[tuple[dict, list[int]]]:
    """Group advanced escalations that got the same new values: one UPDATE per group.

    Escalations advanced in one sweep mostly share them (the same stage, holder and deadline), so
    this is a few statements; Django's ``bulk_update`` builds a CASE per field and row, which cost
    more in Python than the whole rest of the batch (bench/sweep.py).
    """
    groups: dict[tuple, tuple[dict, list[int]]] = {}
    for esc in advanced:
        values = {attname: getattr(esc, attname) for attname in _ADVANCE_ATTNAMES}
        key = tuple(sorted(values.items()))
        groups.setdefault(key, (values, []))[1].append(esc.pk)
    return list(groups.values())


def _plan_write(plan: _Plan, *, cache: _Cache) -> None:
    for values, ids in _advance_groups(plan.advanced):
        Escalation.objects.filter(pk__in=ids).update(**values, times_auto_advanced=F("times_auto_advanced") + 1)
    if plan.marked:
        Escalation.objects.filter(pk__in=plan.marked).update(missed_deadline_handled=F("stage_deadline"))
    if plan.overall:
        Escalation.objects.filter(pk__in=plan.overall).update(overall_deadline_handled=True)
    if plan.participants:
        Participant.objects.bulk_create(plan.participants, ignore_conflicts=True)
    _insert_many(TimelineEntry, plan.timeline)
    plan.notifications = _notifications_create(plan.notices, cache)


# --- the sweep -----------------------------------------------------------------------------------------
def deadlines_sweep(*, now: dt.datetime | None = None, batch_size: int = SWEEP_BATCH_SIZE) -> SweepResult:
    """Handle every stage and overall deadline that has passed and is not handled yet, once each.

    Works in transactions of at most ``batch_size`` escalations; a batch that fails rolls back alone
    and what it held stays due for the next run.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    now = now or timezone.now()
    result = SweepResult()
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
            notices = [_Notice(Kind.DEADLINE_REMINDER, esc, deadline=esc.stage_deadline, discriminator=which)
                       for esc in rows]
            result.notifications += _notifications_create(notices, cache)
            for esc in rows:
                result.add(esc.pk, REMINDED, f"{which} reminder of the deadline {_when(esc.stage_deadline)}")
    return result


# --- beat's schedules ----------------------------------------------------------------------------------
SWEEP_TASK = "escalations.tasks.sweep_deadlines"
REMINDER_TASK = "escalations.tasks.send_deadline_reminders"
DIGEST_TASK = "notifications.tasks.send_daily_digests"  # each PSW's and each person's daily digest

# A lead-time reminder is looked for this often: it reaches the holder between the lead time and a
# quarter of an hour less before the deadline, close enough for a reminder hours ahead.
LEAD_REMINDER_EVERY_MINUTES = 15
DIGEST_TIME = dt.time(7, 30)  # before the morning reminders, so a PSW starts the day with the list

SWEEP_NAME = "Deadline clock: sweep for missed deadlines"
MORNING_NAME = "Deadline clock: reminders on the morning of the due day"
LEAD_NAME = "Deadline clock: reminders ahead of a deadline"
DIGEST_NAME = "Daily digests (each person's, and each PSW's list of what is overdue)"


def clock_schedules_sync(*, sweep_seconds: int | None = None) -> list[str]:
    """Create or update beat's schedules (django-celery-beat rows, editable in the admin).

    The sweep runs every ``sweep_seconds`` (``settings.DEADLINE_SWEEP_SECONDS``), the morning
    reminders at 08:00 and the daily digests at 07:30 Europe/London, the lead-time reminders every
    quarter of an hour. Safe to run at every start: each row is found by its name and brought up to
    date; an administrator's choice to pause one (``enabled``) is kept. Returns one line per row.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    sweep_seconds = settings.DEADLINE_SWEEP_SECONDS if sweep_seconds is None else sweep_seconds
    if sweep_seconds < 1:
        raise ValueError("DEADLINE_SWEEP_SECONDS must be 1 or more")

    def interval(every: int, period: str) -> IntervalSchedule:
        return IntervalSchedule.objects.get_or_create(every=every, period=period)[0]

    def daily(at: dt.time) -> CrontabSchedule:
        return CrontabSchedule.objects.get_or_create(
            minute=str(at.minute), hour=str(at.hour), day_of_week="*", day_of_month="*", month_of_year="*",
            timezone=clock.LONDON,
        )[0]

    hours = settings.DEADLINE_REMINDER_HOURS
    rows = [
        # A sweep message still queued one interval later is dropped: the next one does the same work.
        (SWEEP_NAME, SWEEP_TASK, {"interval": interval(sweep_seconds, IntervalSchedule.SECONDS)}, {},
         sweep_seconds, f"Every {sweep_seconds} s: advance or notify each escalation whose deadline has passed."),
        (MORNING_NAME, REMINDER_TASK, {"crontab": daily(MORNING_REMINDER_TIME)}, {"which": MORNING},
         8 * 3600, "08:00 Europe/London: remind each holder of a deadline that falls today."),
        (LEAD_NAME, REMINDER_TASK, {"interval": interval(LEAD_REMINDER_EVERY_MINUTES, IntervalSchedule.MINUTES)},
         {"which": LEAD}, LEAD_REMINDER_EVERY_MINUTES * 60,
         f"Remind each holder {hours} hours before their deadline (DEADLINE_REMINDER_HOURS)."),
        (DIGEST_NAME, DIGEST_TASK, {"crontab": daily(DIGEST_TIME)}, {}, 12 * 3600,
         "07:30 Europe/London: the daily digest e-mails."),
    ]
    report = []
    for name, task, schedule, kwargs, expire_seconds, description in rows:
        values = {
            "task": task, "interval": None, "crontab": None, **schedule, "kwargs": json.dumps(kwargs),
            "expire_seconds": expire_seconds, "description": description,
        }
        row = PeriodicTask.objects.filter(name=name).first()
        if row is None:
            PeriodicTask.objects.create(name=name, enabled=True, **values)
            report.append(f"created: {name}")
            continue
        changed = [key for key, value in values.items() if getattr(row, key) != value]
        if changed:
            for key in changed:
                setattr(row, key, values[key])
            row.save()
            report.append(f"updated ({', '.join(changed)}): {name}")
        else:
            report.append(f"unchanged{'' if row.enabled else ' (paused in the admin)'}: {name}")
    return report
