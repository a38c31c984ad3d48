"""The deadline engine's sweep: find what is due, apply each ladder's rule, exactly once.

``check_deadlines`` and the beat task both call ``deadlines_sweep``. What is due is re-derived from
the database on every run, so a sweep run twice, or late, does each thing once.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.utils import timezone

from .models import AWAITING_HOLDER, LIVE_STATES, Escalation
from .services import escalation_handle_missed_deadline, escalation_handle_overall_deadline


@dataclass
class SweepResult:
    counts: Counter = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.details

    def summary(self) -> str:
        if not self.counts:
            return "Nothing due."
        return "; ".join(f"{what}: {n}" for what, n in sorted(self.counts.items()))


def due_stage_deadlines(now: dt.datetime):
    return Escalation.objects.filter(state__in=AWAITING_HOLDER, stage_deadline__lte=now).filter(
        Q(missed_deadline_handled__isnull=True) | ~Q(missed_deadline_handled=F("stage_deadline"))
    )


def due_overall_deadlines(now: dt.datetime):
    return Escalation.objects.filter(state__in=LIVE_STATES, overall_deadline__lte=now, overall_deadline_handled=False)


def deadlines_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    for pk in list(due_stage_deadlines(now).values_list("pk", flat=True)):
        done = escalation_handle_missed_deadline(escalation_id=pk, now=now)
        if done:
            result.counts[done] += 1
            result.details.append(f"escalation {pk}: {done}")
    for pk in list(due_overall_deadlines(now).values_list("pk", flat=True)):
        done = escalation_handle_overall_deadline(escalation_id=pk, now=now)
        if done:
            result.counts[f"overall {done}"] += 1
            result.details.append(f"escalation {pk}: overall timescale {done}")
    return result
