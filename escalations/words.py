"""The words a person reads at the moment they matter: what happens next after a raise, when a
"same day" deadline really falls and why, when the raiser may now escalate (Bexley 5.4), and where
the disagreement is with the raiser's own manager (Bexley 2.3, 6.3; the generic guide).

Pure reads of an escalation, its ladder and its organisation's calendar: the pages call them, nothing
here writes. Deadlines are worded as everywhere else ("5pm on Monday 7 December").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from organisations.models import Organisation, User
from policies import clock
from policies.models import Ladder, Stage

from .states import State
from .templatetags.escalation_tags import deadline_words, time_in_words

if TYPE_CHECKING:
    from .models import Escalation

# The ladder's rule for a missed stage deadline (``RiskRule.on_missed_deadline``).
ADVANCE = "advance"

# Bexley 2.3 and 6.3, the generic guide (001): the escalation procedure does not replace these.
OWN_MANAGER_PROCEDURES = "Whistleblowing or Employee Resolution procedures"


def entry_working_days(*, ladder: Ladder, risk_level: str, stage: Stage) -> int:
    """The response time of the stage an escalation enters at this risk level (0: the same day)."""
    rule = ladder.rule_for(risk_level)
    return stage.working_days if rule.entry_working_days is None else rule.entry_working_days


def why_not_today(*, start: dt.datetime, organisation: Organisation) -> str | None:
    """Why a same-day deadline counted from ``start`` cannot fall on that day, or None where it can.

    In the order a person would give it: the organisation is closed, it is a bank holiday, it is the
    weekend, or it is after close of business.
    """
    moment = clock.local(start)
    day = moment.date()
    closed = organisation.closure_dates()
    close = organisation.close_of_business
    if clock.is_working_day(day, closure_days=closed) and moment.time() < close:
        return None
    if day in closed:
        reason = organisation.closure_days.filter(date=day).values_list("reason", flat=True).first()
        return f"raised on a day {organisation.name} is closed{f' ({reason})' if reason else ''}"
    holiday = clock.bank_holiday_name(day)
    if holiday:
        return f"raised on a bank holiday ({holiday})"
    if day.weekday() >= 5:
        return "raised at the weekend"
    return f"raised after close of business ({time_in_words(dt.datetime.combine(day, close, tzinfo=clock.LONDON))})"


def same_day_note(*, start: dt.datetime, working_days: int, organisation: Organisation,
                  today: dt.date | None = None) -> str | None:
    """Where a stage due "the same day" is raised out of hours, when it is really due and why.

    "Due by 5pm on Monday 7 December: raised after close of business, so the same day is the next
    working day." None for any other deadline (CONTRACT section 2: same day out of hours is close of
    business on the next working day).
    """
    if working_days != 0:
        return None
    reason = why_not_today(start=start, organisation=organisation)
    if reason is None:
        return None
    due = clock.deadline(start, 0, closure_days=organisation.closure_dates(),
                         close_of_business=organisation.close_of_business)
    return f"Due by {deadline_words(due, today)}: {reason}, so the same day is the next working day."


def raise_same_day_note(escalation: Escalation) -> str | None:
    """The same-day note of the stage an escalation was raised into (the confirmation page)."""
    days = entry_working_days(ladder=escalation.ladder, risk_level=escalation.risk_level, stage=escalation.stage)
    return same_day_note(start=escalation.stage_started_at, working_days=days,
                         organisation=escalation.deadline_organisation)


@dataclass(frozen=True)
class NextStep:
    """What happens if the holder lets the deadline pass, for the raiser to read after raising."""

    words: str
    last_stage: bool


def after_raise(escalation: Escalation) -> NextStep:
    """What the raiser may expect if the deadline passes: never a next stage where there is none.

    At the last stage of the ladder (Bexley's Director, where imminent risk enters), there is nowhere
    further to go; at a final stage followed only by an exceptional one (Bexley 3.5, 3.6), the next is
    reached only after the final decision; where the ladder moves it by itself (Bexley 5.3, 5.5), the
    clock does; otherwise the raiser may escalate (Bexley 5.4).
    """
    ladder = escalation.ladder
    nxt = escalation.next_stage_index()
    rule = ladder.rule_for(escalation.risk_level)
    if nxt is None:
        return NextStep(
            "This is the last stage of the procedure: there is no further stage to escalate to, and its "
            "decision ends the escalation. If the deadline passes without a decision, the deadline clock tells "
            "you and the holder" + (", and your principal social worker" if rule.alert_psw else "") + ".",
            last_stage=True,
        )
    next_stage = ladder.stage(nxt)
    if next_stage.exceptional:
        return NextStep(
            f"{escalation.stage.name} is the final decision. Only if significant concerns for the child remain "
            f"after it can you ask {next_stage.name} to look at it, as an exceptional step.",
            last_stage=False,
        )
    if rule.on_missed_deadline == ADVANCE:
        return NextStep(
            f"If the deadline passes with no meeting arranged, it moves to {next_stage.name} by itself, and you "
            "are told.",
            last_stage=False,
        )
    return NextStep(
        f"If the deadline passes with no meeting arranged, you may escalate it to {next_stage.name}.",
        last_stage=False,
    )


def may_escalate_now(escalation: Escalation, *, may_escalate: bool, now: dt.datetime) -> str | None:
    """Bexley 5.4: "If meetings are not arranged within these timescales, the person making the
    escalation can decide to proceed to the next level."

    The words beside the actions, for a person who may escalate, once the stage deadline has passed
    with no meeting arranged in time, on a ladder that leaves the next step to the raiser (where the
    clock moves it by itself, there is nothing to decide).
    """
    if not may_escalate or escalation.stage_deadline is None or escalation.stage_deadline > now:
        return None
    nxt = escalation.next_stage_index()
    if nxt is None:
        return None
    no_meeting = escalation.state == State.OPEN
    late_meeting = (escalation.state == State.MEETING_ARRANGED and escalation.meeting_at is not None
                    and escalation.meeting_at > escalation.stage_deadline)
    if not (no_meeting or late_meeting):
        return None
    if escalation.ladder.rule_for(escalation.risk_level).on_missed_deadline == ADVANCE:
        return None
    holder = escalation.holder.display_name if escalation.holder else "The holder"
    meeting = "no meeting" if no_meeting else "only a meeting after the deadline"
    return (f"{holder} had until {deadline_words(escalation.stage_deadline)} and {meeting} was arranged in time. "
            f"You may now escalate it to {escalation.ladder.stage(nxt).name}.")


def is_own_manager(*, raiser: User, holder: User | None) -> bool:
    """Whether the person who must respond is the raiser's own line manager."""
    return holder is not None and raiser.line_manager_id is not None and raiser.line_manager_id == holder.pk
