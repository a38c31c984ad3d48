"""The deadline clock applies each ladder's missed-deadline rule at the deadline, not a minute before.

Each case raises an escalation through the real service, then sweeps one minute before its
deadline (nothing happens), at the deadline and one minute after (the ladder's rule is applied,
as the actor ``system``). The raising dates put the deadline across a weekend, a bank holiday or
a change between GMT and BST.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from deadlines.sweep import deadlines_sweep
from escalations import services
from escalations.models import Escalation, State
from notifications.models import Kind, Notification
from tests.conftest import at

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@dataclasses.dataclass(frozen=True)
class RuleCase:
    name: str
    raiser: str
    ladder: str
    raised: dt.datetime
    deadline: dt.datetime  # what the working-day clock must give
    rule: str  # "notify", "advance" or "last_stage"
    risk_level: str = "standard"
    receiving: str | None = None


CASES = [
    RuleCase("bexley-standard-over-a-weekend", "bexley-practitioner", "bexley-internal",
             raised=at(2026, 11, 6, 10, 0), deadline=at(2026, 11, 9, 17, 0), rule="notify"),
    RuleCase("bexley-significant-harm-over-a-weekend-into-bst", "bexley-practitioner", "bexley-internal",
             risk_level="significant_harm", raised=at(2026, 3, 27, 18, 0), deadline=at(2026, 3, 30, 17, 0),
             rule="advance"),
    RuleCase("bexley-imminent-over-christmas-bank-holidays", "bexley-practitioner", "bexley-internal",
             risk_level="imminent", raised=at(2026, 12, 24, 18, 0), deadline=at(2026, 12, 29, 17, 0),
             rule="last_stage"),
    RuleCase("stoke-crm-over-easter", "stoke-crm", "stoke-crm",
             raised=at(2026, 4, 1, 10, 0), deadline=at(2026, 4, 10, 17, 0), rule="notify"),
    RuleCase("stoke-crm-concerns-across-the-end-of-bst", "stoke-social-worker", "stoke-crm-concerns",
             raised=at(2026, 10, 20, 10, 0), deadline=at(2026, 10, 27, 17, 0), rule="notify"),
    RuleCase("wiltshire-over-the-spring-bank-holiday", "puddleducks-practitioner", "wiltshire-multi-agency",
             receiving="wiltshire", raised=at(2026, 5, 22, 10, 0), deadline=at(2026, 6, 1, 17, 0), rule="notify"),
    RuleCase("bs3-nursery-over-the-summer-bank-holiday", "bs3-practitioner", "bs3-nursery",
             receiving="bristol", raised=at(2026, 8, 28, 10, 0), deadline=at(2026, 9, 1, 17, 0), rule="notify"),
    RuleCase("resolution-panel-over-a-weekend", "bs3-designated-safeguarding-lead", "multi-agency-resolution-panel",
             receiving="bristol", raised=at(2026, 11, 2, 10, 0), deadline=at(2026, 11, 9, 17, 0), rule="notify"),
]
OFFSETS = {"one-minute-before": -MINUTE, "at-the-deadline": dt.timedelta(0), "one-minute-after": MINUTE}


def clock_entries(esc: Escalation) -> list[tuple[str, str]]:
    """The timeline rows the clock wrote: (action, actor name)."""
    return [(e.action, e.actor_name) for e in esc.timeline.all() if e.actor_id is None]


def told(esc: Escalation, kind: str) -> set[str]:
    return set(Notification.objects.filter(escalation=esc, kind=kind).values_list("recipient__username", flat=True))


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_ladders_rule_applies_at_its_deadline_and_not_a_minute_before(case, offset, raise_escalation, travel):
    travel(case.raised)
    esc = raise_escalation(case.raiser, case.ladder, risk_level=case.risk_level, receiving=case.receiving,
                           now=case.raised)
    assert esc.stage_deadline == case.deadline
    holder, stage = esc.holder.username, esc.stage_index

    travel(case.deadline + offset)
    deadlines_sweep()
    esc.refresh_from_db()

    if offset < dt.timedelta(0):
        assert clock_entries(esc) == []
        assert (esc.state, esc.stage_index, esc.holder.username) == (State.OPEN, stage, holder)
        assert told(esc, Kind.DEADLINE_MISSED) == told(esc, Kind.AUTO_ADVANCED) == set()
        return
    psw = {f"{case.raiser.split('-')[0]}-psw"}
    if case.rule == "advance":
        assert clock_entries(esc) == [("auto_advance", "system")]
        assert (esc.state, esc.stage_index) == (State.OPEN, stage + 1)
        assert esc.holder.username == "bexley-head-of-service"
        # A fresh deadline at the new stage: one working day from the moment the clock moved it.
        assert esc.stage_deadline == at(2026, 3, 31, 17, 0)
        assert esc.times_auto_advanced == 1
        assert {"bexley-head-of-service", holder} | psw <= told(esc, Kind.AUTO_ADVANCED)
        assert told(esc, Kind.DEADLINE_MISSED) == set()
    else:
        assert clock_entries(esc) == [("deadline_missed", "system")]
        assert (esc.state, esc.stage_index, esc.holder.username) == (State.OPEN, stage, holder)
        assert esc.missed_deadline_handled == case.deadline
        expected = {case.raiser, holder} | (psw if case.risk_level != "standard" else set())
        assert told(esc, Kind.DEADLINE_MISSED) == expected
        assert told(esc, Kind.AUTO_ADVANCED) == set()
    assert esc.is_overdue(now=case.deadline + offset) == (case.rule != "advance")


def test_a_missed_deadline_tells_the_raiser_they_may_proceed_on_the_timeline(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 11, 17, 5))
    deadlines_sweep()
    entry = esc.timeline.get(action="deadline_missed")
    assert entry.actor is None and entry.from_state == entry.to_state == State.OPEN
    assert "The raiser may proceed to the next level (Service Manager)" in entry.note
    assert entry.params["deadline"] == at(2026, 11, 11, 17, 0).isoformat()


def test_significant_harm_climbs_one_stage_per_missed_deadline_until_the_final_stage(raise_escalation, travel):
    """Bexley 5.3: Service Manager (same day), then Head of Service, then Deputy Director (final);
    the Director is exceptional, so at the Deputy Director the clock tells holder, PSW and raiser."""
    travel(at(2026, 11, 9, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    for day, stage in ((9, 2), (10, 3)):
        travel(at(2026, 11, day, 17, 0))
        deadlines_sweep()
        esc.refresh_from_db()
        assert esc.stage_index == stage
    assert esc.holder.username == "bexley-deputy-director"
    travel(at(2026, 11, 11, 17, 0))
    deadlines_sweep()
    esc.refresh_from_db()
    assert esc.stage_index == 3
    assert [e.action for e in esc.timeline.filter(actor__isnull=True)] == ["auto_advance", "auto_advance",
                                                                           "deadline_missed"]
    assert "no further stage" in esc.timeline.get(action="deadline_missed").note
    assert told(esc, Kind.DEADLINE_MISSED) == {"bexley-deputy-director", "bexley-psw", "bexley-practitioner"}


def test_the_advance_is_recorded_with_the_system_as_actor_and_the_new_holder_as_participant(raise_escalation, travel):
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    version = esc.version
    travel(at(2026, 11, 10, 17, 0))
    deadlines_sweep()
    esc.refresh_from_db()
    entry = esc.timeline.get(action="auto_advance")
    assert (entry.actor, entry.from_state, entry.to_state, entry.stage_index) == (None, "open", "open", 2)
    assert entry.params["holder"] == "bexley-head-of-service"
    assert esc.participants.filter(user__username="bexley-head-of-service").exists()
    assert esc.version == version + 1  # a form opened before the clock moved it is refused


def test_stoke_overall_timescale_is_notified_once_at_twenty_working_days(raise_escalation, people, travel):
    """Stoke 4: the formal process (from stage 1) completes within 20 working days."""
    travel(at(2026, 11, 2, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm")
    travel(at(2026, 11, 3, 10, 0))
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="No progress informally.")
    assert esc.overall_deadline == at(2026, 12, 1, 17, 0)

    travel(at(2026, 12, 1, 16, 59))
    deadlines_sweep()  # the stage deadline (10 November) is handled here; the overall one is not due
    assert not esc.timeline.filter(action="overall_deadline_missed").exists()
    travel(at(2026, 12, 1, 17, 0))
    deadlines_sweep()
    travel(at(2026, 12, 1, 17, 1))
    deadlines_sweep()
    esc.refresh_from_db()
    assert esc.overall_deadline_handled
    assert [e.actor_name for e in esc.timeline.filter(action="overall_deadline_missed")] == ["system"]
    assert told(esc, Kind.OVERALL_DEADLINE_MISSED) == {"stoke-crm", "stoke-service-manager", "stoke-psw"}
    assert Notification.objects.filter(escalation=esc, kind=Kind.OVERALL_DEADLINE_MISSED).count() == 3


def test_overall_timescale_is_notified_while_a_decision_awaits_acceptance(raise_escalation, people, travel):
    """The overall flag holds for any live state: a response stops the stage rule, not the timescale."""
    travel(at(2026, 11, 2, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm")
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Formal now.")
    esc = services.escalation_respond(escalation=esc, actor=people["stoke-service-manager"], decision="uphold",
                                      rationale="The plan stands.")
    travel(esc.overall_deadline + MINUTE)
    deadlines_sweep()
    assert [e.action for e in esc.timeline.filter(actor__isnull=True)] == ["overall_deadline_missed"]


# --- what stops the rule -------------------------------------------------------------------------------
def test_a_meeting_arranged_before_the_deadline_stops_the_rule_but_not_the_overdue_flag(
        raise_escalation, people, travel):
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    travel(at(2026, 11, 10, 12, 0))
    # For 15:00 the same day, before the 17:00 deadline: a meeting set for after it would not count (CONTRACT 8.4).
    services.escalation_arrange_meeting(escalation=esc, actor=people["bexley-service-manager"],
                                        meeting_at=at(2026, 11, 10, 15, 0))
    travel(at(2026, 11, 10, 17, 1))
    result = deadlines_sweep()
    esc.refresh_from_db()
    assert (esc.state, esc.stage_index) == (State.MEETING_ARRANGED, 1)
    assert clock_entries(esc) == []
    assert told(esc, Kind.AUTO_ADVANCED) == told(esc, Kind.DEADLINE_MISSED) == set()
    assert Escalation.objects.overdue().filter(pk=esc.pk).exists()
    assert "a meeting was arranged in time" in result.lines()[0]


def test_a_meeting_arranged_only_after_the_deadline_does_not_stop_the_rule(raise_escalation, people, travel):
    """A late sweep does what a sweep on time would have done: the meeting came too late."""
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 11, 17, 30))
    services.escalation_arrange_meeting(escalation=esc, actor=people["bexley-team-manager"],
                                        meeting_at=at(2026, 11, 12, 10, 0))
    travel(at(2026, 11, 11, 17, 45))
    deadlines_sweep()
    assert clock_entries(esc) == [("deadline_missed", "system")]
    assert told(esc, Kind.DEADLINE_MISSED) == {"bexley-practitioner", "bexley-team-manager"}


def test_a_response_recorded_stops_the_rule_and_the_overdue_flag(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    services.escalation_respond(escalation=esc, actor=people["bexley-service-manager"], decision="uphold",
                                rationale="Safety plan in place tonight.")
    travel(at(2026, 11, 10, 17, 1))
    assert deadlines_sweep().summary() == "Nothing due."
    esc.refresh_from_db()
    assert (esc.state, esc.stage_index) == (State.RESPONDED, 1)
    assert not Escalation.objects.overdue().filter(pk=esc.pk).exists()


def test_withdrawn_and_resolved_escalations_are_never_advanced(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 9, 0))
    withdrawn = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    services.escalation_withdraw(escalation=withdrawn, actor=people["bexley-practitioner"], reason="Sorted.")
    resolved = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    resolved = services.escalation_respond(escalation=resolved, actor=people["bexley-service-manager"],
                                           decision="agree", rationale="Strategy meeting today.")
    services.escalation_accept(escalation=resolved, actor=people["bexley-practitioner"],
                               agreed_outcome="Strategy meeting today.", outstanding_actions="None.")
    travel(at(2026, 11, 13, 17, 0))
    assert deadlines_sweep().summary() == "Nothing due."
    for esc in (withdrawn, resolved):
        esc.refresh_from_db()
        assert esc.stage_index == 1 and clock_entries(esc) == []


def test_an_escalation_in_mediation_is_never_advanced_or_notified(raise_escalation, people, travel):
    travel(at(2026, 11, 2, 10, 0))
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    services.escalation_start_mediation(escalation=esc, actor=people["wiltshire-social-worker"],
                                        mediator=people["wiltshire-qap-chair"])
    travel(at(2026, 11, 30, 17, 0))
    assert deadlines_sweep().summary() == "Nothing due."
    esc.refresh_from_db()
    assert esc.state == State.IN_MEDIATION and clock_entries(esc) == []


def test_the_clock_advances_even_where_nobody_holds_the_next_stage_and_tells_the_psw(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    head = people["bexley-head-of-service"]
    head.is_active = False
    head.save(update_fields=["is_active"])
    travel(at(2026, 11, 10, 17, 0))
    deadlines_sweep()
    esc.refresh_from_db()
    assert (esc.stage_index, esc.holder) == (2, None)
    assert "bexley-psw" in told(esc, Kind.AUTO_ADVANCED)


def test_both_deadlines_handled_in_one_sweep_count_once_in_the_version(raise_escalation, people, travel):
    """The stage and the overall deadline passed unswept: one sweep handles both, as one change."""
    travel(at(2026, 11, 2, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm")
    travel(at(2026, 11, 3, 10, 0))
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="No progress informally.")
    version = esc.version
    travel(at(2026, 12, 1, 17, 1))
    deadlines_sweep()
    esc.refresh_from_db()
    assert esc.overall_deadline_handled
    assert "overall_deadline_missed" in [e.action for e in esc.timeline.filter(actor__isnull=True)]
    assert len(esc.timeline.filter(actor__isnull=True)) == 2
    assert esc.version == version + 1
