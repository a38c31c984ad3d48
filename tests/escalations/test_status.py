"""What an escalation's deadlines say about it: the deadline that matters now, overdue, and the
red/amber/green status, on the calendar of the organisation that holds it (closure days included)."""
import datetime as dt

import pytest

from escalations import services
from escalations.models import Escalation, State
from organisations.models import ClosureDay
from tests.conftest import at

pytestmark = pytest.mark.django_db


def fresh(esc) -> Escalation:
    """Read it again as a list does, with its organisations' closure days."""
    return Escalation.objects.with_related().get(pk=esc.pk)


def test_rag_is_green_while_the_deadline_is_more_than_a_working_day_away(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm")  # 5 working days: Tue 17 Nov
    assert esc.rag_status(now=at(2026, 11, 10, 10, 0)) == "green"


def test_rag_is_amber_when_due_by_the_next_working_day(raise_escalation, travel):
    travel(at(2026, 11, 6, 10, 0))  # a Friday: due Monday 9 November
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.rag_status(now=at(2026, 11, 6, 10, 0)) == "amber"


def test_rag_is_red_once_the_deadline_has_passed(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.rag_status(now=at(2026, 11, 12, 9, 0)) == "red"


def test_rag_is_grey_once_the_escalation_is_closed(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_withdraw(escalation=esc, actor=people["bexley-practitioner"], reason="Sorted.")
    assert esc.state == State.WITHDRAWN
    assert esc.rag_status(now=at(2026, 11, 12, 9, 0)) == "grey"
    assert esc.current_deadline is None


def test_rag_ignores_the_stage_deadline_once_the_holder_has_responded(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                      rationale="Threshold not met.")
    assert esc.rag_status(now=at(2026, 11, 20, 9, 0)) == "green"


def test_a_closure_day_before_the_deadline_makes_it_due_soon(raise_escalation, travel):
    """Due Tuesday 17 November; on Friday 13th the next working day is Monday 16th (green), unless the
    holder's organisation is closed that Monday: then Tuesday is the next working day (amber)."""
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm")
    assert esc.stage_deadline == at(2026, 11, 17, 17, 0)
    friday = at(2026, 11, 13, 10, 0)
    assert fresh(esc).rag_status(now=friday) == "green"

    ClosureDay.objects.create(organisation=esc.raising_organisation, date=dt.date(2026, 11, 16), reason="Training")
    assert fresh(esc).rag_status(now=friday) == "amber"


def test_only_the_holder_organisation_s_closure_days_count(raise_escalation, travel):
    """A multi-agency escalation held in the receiving organisation runs on that organisation's calendar:
    the raising nursery's closure day changes nothing, the council's does."""
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert esc.stage_deadline == at(2026, 11, 17, 17, 0) and fresh(esc).deadline_organisation.slug == "wiltshire"
    friday, monday = at(2026, 11, 13, 10, 0), dt.date(2026, 11, 16)

    ClosureDay.objects.create(organisation=esc.raising_organisation, date=monday)
    assert fresh(esc).rag_status(now=friday) == "green"
    ClosureDay.objects.create(organisation=esc.receiving_organisation, date=monday)
    assert fresh(esc).rag_status(now=friday) == "amber"


def test_the_current_deadline_is_the_earlier_of_the_stage_s_and_the_overall_one(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm")
    assert esc.current_deadline == esc.stage_deadline  # no overall timescale before the formal stage
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Formal.")
    assert esc.current_deadline == min(esc.stage_deadline, esc.overall_deadline)
    esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="uphold", rationale="No.")
    assert esc.current_deadline == esc.overall_deadline  # the holder has answered: the stage's no longer counts


def test_overdue_on_the_row_and_in_the_database_agree(demo, travel):
    """``is_overdue`` and ``Escalation.objects.overdue`` are one rule, on every demo escalation, at any moment."""
    for moment in (at(2026, 11, 1, 9, 0), at(2026, 12, 1, 9, 0), at(2027, 3, 1, 9, 0)):
        flagged = set(Escalation.objects.overdue(now=moment).values_list("pk", flat=True))
        assert flagged == {esc.pk for esc in Escalation.objects.all() if esc.is_overdue(moment)}
        assert set(Escalation.objects.not_overdue(now=moment).values_list("pk", flat=True)).isdisjoint(flagged)
