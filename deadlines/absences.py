"""The absence run of the deadline clock (CONTRACT section 8.5): from 00:00 local on the first day of a
recorded absence, every live stage the absent person holds passes to the cover, or to the next holder.

``deadlines_sweep`` runs it first, so ``check_deadlines`` and the beat task do it by the next sweep
after midnight at the latest, and a deadline missed that day is told to the new holder. Each absence
is handed over exactly once: ``Absence.handed_over_at`` is set by a conditional UPDATE in the same
transaction as the hand-over, so of two sweeps running at once the second waits on the row's lock,
then finds it set and does nothing; a hand-over that fails rolls back with its claim and is tried again.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from core import text
from escalations.services import escalations_hand_over
from organisations.models import Absence
from policies import clock

logger = logging.getLogger(__name__)

HANDED_OVER = "absence began: stage passed on"
FAILED = "absence began: could not be handed over (logged; retried next sweep)"
NOBODY = "absence began: nobody else may hold the stage (left with the holder)"
NOTHING_HELD = "absence began: no live stage to pass on"


def _day(day: dt.date) -> str:
    return text.day_words(day)


def absence_reason(absence: Absence) -> str:
    """The words of the timeline entry: who is away, and when."""
    return f"{absence.person.display_name} is away from {_day(absence.starts_on)} to {_day(absence.ends_on)}."


def absences_begin(*, now: dt.datetime) -> list[tuple[str, str]]:
    """Hand over the stages of everyone whose absence has begun and is not handed over yet, once each.

    Returns (outcome, line) pairs for the sweep's summary.
    """
    today = clock.local(now).date()
    due = list(Absence.objects.filter(starts_on__lte=today, ends_on__gte=today, handed_over_at__isnull=True)
               .order_by("starts_on", "pk").values_list("pk", flat=True))
    lines: list[tuple[str, str]] = []
    for pk in due:
        try:
            lines.extend(_absence_begin(pk, now=now))
        except Exception:
            # One absence that cannot be handed over must not stop the clock: its claim rolls back with it,
            # so the next sweep tries it again.
            logger.exception("The deadline clock could not hand over absence %s", pk)
            lines.append((FAILED, f"absence {pk}: could not be handed over; see the log"))
    return lines


def _absence_begin(pk: int, *, now: dt.datetime) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    with transaction.atomic():
        if not Absence.objects.filter(pk=pk, handed_over_at__isnull=True).update(handed_over_at=now):
            return lines  # another sweep has handed it over
        absence = Absence.objects.select_related("person", "cover").get(pk=pk)
        done = escalations_hand_over(person=absence.person, now=now, reason=absence_reason(absence),
                                     cover=absence.cover, absence=absence.pk)
        who = absence.person.username
        if not done:
            lines.append((NOTHING_HELD, f"absence {pk} of {who}: nothing to pass on"))
        for item in done:
            if item.to is None:
                lines.append((NOBODY, f"escalation {item.escalation_id}: {who} is away and nobody else may "
                                      "hold the stage"))
            else:
                lines.append((HANDED_OVER, f"escalation {item.escalation_id}: {who} is away; passed to "
                                           f"{item.to.username}{' (cover)' if item.as_cover else ''}"))
    return lines
