"""Time spent at each level, derived from the timeline."""
import datetime as dt

import pytest

from escalations import services
from escalations.models import Escalation
from oversight.selectors import duration_words, level_times, psw_overview_list
from tests.conftest import at

pytestmark = pytest.mark.django_db


def levels_of(esc, now):
    esc = Escalation.objects.prefetch_related("ladder__stages", "timeline").get(pk=esc.pk)
    return [(level.name, level.duration, level.current)
            for level in level_times(escalation=esc, entries=esc.timeline.all(), now=now)]


def test_time_runs_at_each_stage_until_the_next_one_is_entered(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 11, 12, 0))
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold", rationale="x")
    travel(at(2026, 11, 11, 15, 0))
    services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="still unsafe")
    levels = levels_of(esc, now=at(2026, 11, 12, 15, 30))
    assert levels[0][0] == "Team Manager" and levels[1][0] == "Service Manager"
    assert abs(levels[0][1] - dt.timedelta(hours=29)) < dt.timedelta(minutes=1)
    assert abs(levels[1][1] - dt.timedelta(hours=24, minutes=30)) < dt.timedelta(minutes=1)
    assert [current for *_, current in levels] == [False, True]


def test_the_clock_stops_while_an_escalation_is_resolved(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="agree", rationale="x")
    travel(at(2026, 11, 10, 12, 0))
    services.escalation_accept(escalation=esc, actor=people["bexley-practitioner"], agreed_outcome="a",
                               outstanding_actions="b")
    travel(at(2026, 11, 16, 12, 0))
    services.escalation_reopen(escalation=esc, actor=people["bexley-practitioner"], reason="overturned")
    levels = levels_of(esc, now=at(2026, 11, 16, 13, 0))
    assert abs(levels[0][1] - dt.timedelta(hours=2)) < dt.timedelta(minutes=1)
    assert abs(levels[1][1] - dt.timedelta(hours=1)) < dt.timedelta(minutes=1)


def test_an_escalation_entering_higher_up_shows_only_the_levels_it_reached(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    assert [name for name, *_ in levels_of(esc, now=at(2026, 11, 10, 11, 0))] == ["Service Manager"]


@pytest.mark.parametrize(("duration", "words"), [
    (dt.timedelta(minutes=40), "under an hour"),
    (dt.timedelta(hours=1, minutes=5), "1 hour"),
    (dt.timedelta(hours=5), "5 hours"),
    (dt.timedelta(days=1), "1 day"),
    (dt.timedelta(days=3, hours=4), "3 days 4 hours"),
])
def test_durations_read_as_days_and_hours(duration, words):
    assert duration_words(duration) == words


def test_the_overview_puts_imminent_risk_first(raise_escalation, people):
    standard = raise_escalation("bexley-practitioner", "bexley-internal")
    imminent = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    harm = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    listed = list(psw_overview_list(user=people["bexley-psw"]))
    assert listed == [imminent, harm, standard]
