"""Every action of CONTRACT section 5, on its allowed paths and its refused ones.

A success writes exactly one timeline row naming the action, the states before and after, the stage
and the actor. A refusal (409 ActionConflict, 403 ActionNotPermitted, 400 ValidationError) leaves the
escalation, its timeline, its participants and its notifications exactly as they were.
"""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from escalations import services
from escalations.models import Escalation, State
from escalations.services import ActionConflict, ActionNotPermitted
from notifications.models import Notification
from organisations.models import Role, User
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

NOW = at(2026, 11, 10, 10, 0)  # Tuesday 10 November 2026, a working day


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(NOW)


# --- helpers ------------------------------------------------------------------------------------
def snapshot(escalation: Escalation) -> dict:
    """Everything a refused action must leave alone."""
    row = Escalation.objects.get(pk=escalation.pk)
    return {
        "row": {f.attname: getattr(row, f.attname) for f in Escalation._meta.concrete_fields},
        "timeline": list(row.timeline.order_by("pk").values_list("pk", "action", "from_state", "to_state")),
        "participants": sorted(row.participants.values_list("user_id", "reason")),
        "notifications": Notification.objects.filter(escalation=row).count(),
    }


def refused(escalation: Escalation, error: type[Exception], call, *, field: str | None = None) -> Exception:
    """Run a refused call and check it changed nothing; return the error."""
    before = snapshot(escalation)
    with pytest.raises(error) as info:
        call()
    assert snapshot(escalation) == before
    if field is not None:
        assert field in info.value.message_dict, info.value.message_dict
    return info.value


def one_new_entry(escalation: Escalation, before: int):
    entries = list(escalation.timeline.order_by("pk"))[before:]
    assert len(entries) == 1, [e.action for e in entries]
    return entries[0]


def assert_entry(entry, *, action, from_state, to_state, stage_index, actor):
    assert (entry.action, entry.from_state, entry.to_state, entry.stage_index) == (
        action, from_state, to_state, stage_index
    )
    assert entry.actor_id == (actor.pk if actor is not None else None)


def count(escalation) -> int:
    return escalation.timeline.count()


def reload(escalation) -> Escalation:
    return Escalation.objects.select_related("holder", "raised_by", "ladder").get(pk=escalation.pk)


def respond(esc, decision="uphold", actor=None):
    """Record a decision; an uphold at a final stage says how outstanding issues will be pursued (CONTRACT 8.3)."""
    ending = decision == "uphold" and esc.stage.final
    return services.escalation_respond(escalation=esc, actor=actor or esc.holder, decision=decision,
                                       rationale="The plan addresses the risk.",
                                       outstanding_actions="Reviewed at the next supervision." if ending else "")


def escalate(esc, actor=None):
    return services.escalation_escalate(escalation=esc, actor=actor or esc.raised_by, reason="Still unsafe.")


def accept(esc, actor=None):
    return services.escalation_accept(escalation=esc, actor=actor or esc.raised_by, agreed_outcome="Agreed.",
                                      outstanding_actions="None.")


def withdraw(esc, actor=None):
    return services.escalation_withdraw(escalation=esc, actor=actor or esc.raised_by, reason="Settled.")


def bexley_at_stage(raise_escalation, index: int) -> Escalation:
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    for _ in range(index):
        esc = escalate(esc)
    return esc


@pytest.fixture
def bexley(raise_escalation):
    return raise_escalation("bexley-practitioner", "bexley-internal")


@pytest.fixture
def wiltshire(raise_escalation):
    """A nursery practitioner challenges Wiltshire children's social care."""
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


@pytest.fixture
def stoke(raise_escalation):
    return raise_escalation("stoke-crm", "stoke-crm")


# --- arrange-meeting ----------------------------------------------------------------------------
def test_holder_arranges_a_meeting(bexley, people):
    n, version = count(bexley), bexley.version
    meeting_at = at(2026, 11, 10, 15, 0)
    esc = services.escalation_arrange_meeting(escalation=bexley, actor=people["bexley-team-manager"],
                                              meeting_at=meeting_at)
    esc = reload(esc)
    assert esc.state == State.MEETING_ARRANGED and esc.meeting_at == meeting_at
    assert esc.version == version + 1
    assert_entry(one_new_entry(esc, n), action="arrange_meeting", from_state="open", to_state="meeting_arranged",
                 stage_index=0, actor=people["bexley-team-manager"])


def test_raiser_cannot_arrange_the_meeting(bexley, people):
    refused(bexley, ActionNotPermitted, lambda: services.escalation_arrange_meeting(
        escalation=bexley, actor=people["bexley-practitioner"], meeting_at=at(2026, 11, 10, 15, 0)))


def test_meeting_cannot_be_arranged_twice(bexley, people):
    tm = people["bexley-team-manager"]
    services.escalation_arrange_meeting(escalation=bexley, actor=tm, meeting_at=at(2026, 11, 10, 15, 0))
    refused(bexley, ActionConflict, lambda: services.escalation_arrange_meeting(
        escalation=bexley, actor=tm, meeting_at=at(2026, 11, 10, 16, 0)))


def test_the_holder_moves_the_arranged_meeting(bexley, people):
    """Issue 16: a meeting can change; the holder moves it (the parties' calendars are updated:
    tests/invitations)."""
    tm = people["bexley-team-manager"]
    services.escalation_arrange_meeting(escalation=bexley, actor=tm, meeting_at=at(2026, 11, 10, 15, 0))
    n = count(bexley)
    esc = reload(services.escalation_move_meeting(escalation=reload(bexley), actor=tm,
                                                  meeting_at=at(2026, 11, 10, 16, 0)))
    assert esc.state == State.MEETING_ARRANGED and esc.meeting_at == at(2026, 11, 10, 16, 0)
    assert_entry(one_new_entry(esc, n), action="move_meeting", from_state="meeting_arranged",
                 to_state="meeting_arranged", stage_index=0, actor=tm)


def test_a_meeting_not_arranged_cannot_be_moved(bexley, people):
    refused(bexley, ActionConflict, lambda: services.escalation_move_meeting(
        escalation=bexley, actor=people["bexley-team-manager"], meeting_at=at(2026, 11, 10, 16, 0)))


def test_nobody_else_moves_the_meeting(bexley, people):
    tm = people["bexley-team-manager"]
    services.escalation_arrange_meeting(escalation=bexley, actor=tm, meeting_at=at(2026, 11, 10, 15, 0))
    refused(bexley, ActionNotPermitted, lambda: services.escalation_move_meeting(
        escalation=reload(bexley), actor=people["bexley-practitioner"], meeting_at=at(2026, 11, 10, 16, 0)))


def test_meeting_cannot_be_arranged_after_a_response(bexley, people):
    respond(bexley)
    refused(bexley, ActionConflict, lambda: services.escalation_arrange_meeting(
        escalation=bexley, actor=people["bexley-team-manager"], meeting_at=at(2026, 11, 10, 16, 0)))


def test_meeting_time_without_a_time_zone_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_arrange_meeting(
        escalation=bexley, actor=people["bexley-team-manager"], meeting_at=dt.datetime(2026, 11, 10, 15, 0)),
        field="meeting_at")


def test_meeting_before_the_stage_began_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_arrange_meeting(
        escalation=bexley, actor=people["bexley-team-manager"], meeting_at=at(2026, 11, 1, 15, 0)),
        field="meeting_at")


# --- respond ------------------------------------------------------------------------------------
def test_holder_agrees_from_open(bexley, people):
    n = count(bexley)
    esc = reload(respond(bexley, "agree"))
    assert esc.state == State.RESPONDED and esc.decision == "agree"
    assert esc.rationale == "The plan addresses the risk."
    assert_entry(one_new_entry(esc, n), action="respond", from_state="open", to_state="responded",
                 stage_index=0, actor=people["bexley-team-manager"])
    assert Notification.objects.filter(escalation=esc, kind="response_recorded",
                                       recipient=people["bexley-practitioner"]).exists()


def test_holder_upholds_after_a_meeting(bexley, people):
    services.escalation_arrange_meeting(escalation=bexley, actor=people["bexley-team-manager"],
                                        meeting_at=at(2026, 11, 10, 15, 0))
    n = count(bexley)
    esc = reload(respond(bexley, "uphold"))
    assert esc.state == State.RESPONDED and esc.decision == "uphold" and esc.resolved_at is None
    assert_entry(one_new_entry(esc, n), action="respond", from_state="meeting_arranged", to_state="responded",
                 stage_index=0, actor=people["bexley-team-manager"])


def test_uphold_at_a_final_stage_resolves(raise_escalation, people):
    """Bexley 3.5: the Deputy Director's decision is final."""
    esc = bexley_at_stage(raise_escalation, 3)
    assert esc.holder == people["bexley-deputy-director"]
    n = count(esc)
    esc = reload(respond(esc, "uphold"))
    assert esc.state == State.RESOLVED and esc.resolved_at is not None and esc.closed_at is not None
    assert esc.outstanding_actions == "Reviewed at the next supervision."
    assert_entry(one_new_entry(esc, n), action="respond", from_state="open", to_state="resolved",
                 stage_index=3, actor=people["bexley-deputy-director"])
    assert Notification.objects.filter(
        escalation=esc, kind="resolved", recipient=people["bexley-practitioner"],
    ).exists()


def test_agree_at_a_final_stage_awaits_acceptance(raise_escalation):
    esc = reload(respond(bexley_at_stage(raise_escalation, 3), "agree"))
    assert esc.state == State.RESPONDED and esc.resolved_at is None


def test_unknown_decision_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_respond(
        escalation=bexley, actor=people["bexley-team-manager"], decision="maybe", rationale="x"), field="decision")


def test_response_without_rationale_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_respond(
        escalation=bexley, actor=people["bexley-team-manager"], decision="agree", rationale="   "),
        field="rationale")


@pytest.mark.parametrize(
    "username", ["bexley-practitioner", "bexley-service-manager", "bexley-psw", "stoke-team-manager"],
)
def test_only_the_holder_responds(bexley, people, username):
    refused(bexley, ActionNotPermitted, lambda: respond(bexley, actor=people[username]))


def test_cannot_respond_twice(bexley):
    respond(bexley)
    refused(bexley, ActionConflict, lambda: respond(bexley, "agree"))


def test_cannot_respond_to_a_withdrawn_escalation(bexley, people):
    withdraw(bexley)
    refused(bexley, ActionConflict, lambda: respond(bexley, actor=people["bexley-team-manager"]))


# --- accept -------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-psw"])
def test_raiser_or_psw_accepts_a_response(bexley, people, username):
    respond(bexley, "agree")
    n = count(bexley)
    esc = reload(services.escalation_accept(escalation=bexley, actor=people[username],
                                            agreed_outcome="A strategy discussion on Thursday.",
                                            outstanding_actions="The team manager reviews the plan."))
    assert esc.state == State.RESOLVED and esc.resolved_at is not None
    assert esc.agreed_outcome == "A strategy discussion on Thursday."
    assert esc.outstanding_actions == "The team manager reviews the plan."
    assert_entry(one_new_entry(esc, n), action="accept", from_state="responded", to_state="resolved",
                 stage_index=0, actor=people[username])


def test_holder_cannot_accept_their_own_response(bexley, people):
    respond(bexley)
    refused(bexley, ActionNotPermitted, lambda: accept(bexley, actor=people["bexley-team-manager"]))


def test_cannot_accept_before_a_response(bexley):
    refused(bexley, ActionConflict, lambda: accept(bexley))


def test_accept_without_outstanding_actions_is_refused(bexley, people):
    respond(bexley)
    refused(bexley, ValidationError, lambda: services.escalation_accept(
        escalation=bexley, actor=people["bexley-practitioner"], agreed_outcome="Agreed.", outstanding_actions=""),
        field="outstanding_actions")


# --- escalate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["open", "meeting_arranged", "responded"])
def test_raiser_escalates_to_the_next_stage(bexley, people, state):
    if state == "meeting_arranged":
        services.escalation_arrange_meeting(escalation=bexley, actor=people["bexley-team-manager"],
                                            meeting_at=at(2026, 11, 10, 15, 0))
    elif state == "responded":
        respond(bexley)
    n = count(bexley)
    esc = reload(escalate(bexley))
    assert esc.state == State.OPEN and esc.stage_index == 1
    assert esc.holder == people["bexley-service-manager"]
    assert esc.stage_deadline == at(2026, 11, 11, 17, 0)  # one working day from now
    assert esc.decision == "" and esc.meeting_at is None
    assert_entry(one_new_entry(esc, n), action="escalate", from_state=state, to_state="open", stage_index=1,
                 actor=people["bexley-practitioner"])
    assert Notification.objects.filter(escalation=esc, kind="stage_escalated",
                                       recipient=people["bexley-service-manager"]).exists()


def test_psw_escalates_independently(bexley, people):
    """Bexley 4.3: the PSW may escalate even if the raiser does not wish to."""
    n = count(bexley)
    esc = reload(escalate(bexley, actor=people["bexley-psw"]))
    assert esc.stage_index == 1
    assert_entry(one_new_entry(esc, n), action="escalate", from_state="open", to_state="open", stage_index=1,
                 actor=people["bexley-psw"])


@pytest.mark.parametrize("username", ["bexley-team-manager", "bexley-service-manager", "stoke-psw"])
def test_others_cannot_escalate(bexley, people, username):
    refused(bexley, ActionNotPermitted, lambda: escalate(bexley, actor=people[username]))


def test_escalate_needs_a_reason(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_escalate(
        escalation=bexley, actor=people["bexley-practitioner"], reason=""), field="reason")


def test_never_past_the_last_stage(raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert esc.stage_index == 4
    refused(esc, ActionConflict, lambda: escalate(esc))


def test_never_past_the_last_stage_of_stoke(raise_escalation):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    for _ in range(4):
        esc = escalate(esc)
    assert esc.stage_index == 4
    refused(esc, ActionConflict, lambda: escalate(esc))


def test_exceptional_director_stage_is_refused_while_the_deputy_director_has_not_decided(raise_escalation):
    esc = bexley_at_stage(raise_escalation, 3)
    refused(esc, ActionConflict, lambda: escalate(esc))


def test_exceptional_director_stage_after_the_deputy_director_responds(raise_escalation, people):
    esc = respond(bexley_at_stage(raise_escalation, 3), "agree")
    n = count(esc)
    esc = reload(escalate(esc))
    assert esc.stage_index == 4 and esc.holder == people["bexley-director"] and esc.state == State.OPEN
    assert_entry(one_new_entry(esc, n), action="escalate", from_state="responded", to_state="open",
                 stage_index=4, actor=people["bexley-practitioner"])


def test_exceptional_director_stage_after_the_final_decision(raise_escalation, people):
    """Bexley 3.6: significant concerns remain after the Deputy Director's final decision."""
    esc = respond(bexley_at_stage(raise_escalation, 3), "uphold")
    assert esc.state == State.RESOLVED
    n = count(esc)
    esc = reload(escalate(esc))
    assert esc.state == State.OPEN and esc.stage_index == 4 and esc.resolved_at is None and esc.closed_at is None
    assert_entry(one_new_entry(esc, n), action="escalate", from_state="resolved", to_state="open",
                 stage_index=4, actor=people["bexley-practitioner"])


def test_a_resolved_escalation_below_the_final_stage_is_not_escalated(bexley):
    accept(respond(bexley, "agree"))
    refused(bexley, ActionConflict, lambda: escalate(bexley))


def test_a_withdrawn_escalation_is_not_escalated(bexley):
    withdraw(bexley)
    refused(bexley, ActionConflict, lambda: escalate(bexley))


def test_an_escalation_in_mediation_is_not_escalated(wiltshire, people):
    services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                        mediator=people["wiltshire-qap-chair"])
    refused(wiltshire, ActionConflict, lambda: escalate(wiltshire))


# --- skip ---------------------------------------------------------------------------------------
def test_crm_skips_to_stage_two_with_a_reason(stoke, people):
    """Stoke section 5: the CRM may go straight to the most appropriate level, usually stage 2."""
    n = count(stoke)
    esc = reload(services.escalation_skip(escalation=stoke, actor=people["stoke-crm"], to_stage=2,
                                          reason="Three months of drift."))
    assert esc.state == State.OPEN and esc.stage_index == 2 and esc.holder == people["stoke-strategic-manager"]
    assert esc.stage_deadline == at(2026, 11, 17, 17, 0)
    entry = one_new_entry(esc, n)
    assert_entry(entry, action="skip", from_state="open", to_state="open", stage_index=2, actor=people["stoke-crm"])
    assert entry.note == "Three months of drift."


def test_wiltshire_raiser_skips_to_senior_managers(wiltshire, people):
    esc = reload(services.escalation_skip(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                          to_stage=2, reason="Urgent."))
    assert esc.stage_index == 2 and esc.holder == people["wiltshire-service-manager"]


def test_resolution_panel_raiser_skips_to_the_panel(raise_escalation, people):
    """CONTRACT 8.2: the Resolution Panel's stage is held by the partnership's QA&P chair."""
    from tests.factories import bristol_third_agency

    chair = bristol_third_agency()["chair"]
    esc = raise_escalation("bs3-designated-safeguarding-lead", "multi-agency-resolution-panel", receiving="bristol")
    respond(esc)
    n = count(esc)
    esc = reload(services.escalation_skip(escalation=esc, actor=people["bs3-designated-safeguarding-lead"],
                                          to_stage=3, reason="Needs three agencies."))
    assert esc.stage_index == 3 and esc.holder == chair
    assert esc.stage_deadline == at(2026, 11, 24, 17, 0)  # ten working days
    assert_entry(one_new_entry(esc, n), action="skip", from_state="responded", to_state="open", stage_index=3,
                 actor=people["bs3-designated-safeguarding-lead"])


def test_bexley_does_not_let_the_raiser_skip(bexley, people):
    """On Bexley's ladder the risk level sets the entry stage; only the PSW skips (4.5, CONTRACT 8.2)."""
    refused(bexley, ActionNotPermitted, lambda: services.escalation_skip(
        escalation=bexley, actor=people["bexley-practitioner"], to_stage=3, reason="Urgent."))


@pytest.mark.parametrize("to_stage", [0, 5, 99, -1, "2", None, True])
def test_skip_to_an_invalid_stage_is_refused(stoke, people, to_stage):
    refused(stoke, ValidationError, lambda: services.escalation_skip(
        escalation=stoke, actor=people["stoke-crm"], to_stage=to_stage, reason="Urgent."), field="to_stage")


def test_skip_without_a_reason_is_refused(stoke, people):
    refused(stoke, ValidationError, lambda: services.escalation_skip(
        escalation=stoke, actor=people["stoke-crm"], to_stage=2, reason=""), field="reason")


@pytest.mark.parametrize("username", ["stoke-psw", "stoke-team-manager", "stoke-service-manager"])
def test_only_the_raiser_skips(stoke, people, username):
    refused(stoke, ActionNotPermitted, lambda: services.escalation_skip(
        escalation=stoke, actor=people[username], to_stage=2, reason="Urgent."))


def test_a_resolved_escalation_cannot_skip(stoke, people):
    accept(respond(stoke, "agree"))
    refused(stoke, ActionConflict, lambda: services.escalation_skip(
        escalation=stoke, actor=people["stoke-crm"], to_stage=3, reason="Urgent."))


# --- withdraw -----------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["open", "meeting_arranged", "responded", "in_mediation"])
def test_raiser_withdraws_from_any_live_state(wiltshire, people, state):
    if state == "meeting_arranged":
        services.escalation_arrange_meeting(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                            meeting_at=at(2026, 11, 10, 15, 0))
    elif state == "responded":
        respond(wiltshire)
    elif state == "in_mediation":
        services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                            mediator=people["wiltshire-qap-chair"])
    n = count(wiltshire)
    esc = reload(withdraw(wiltshire))
    assert esc.state == State.WITHDRAWN and esc.closed_at is not None
    assert_entry(one_new_entry(esc, n), action="withdraw", from_state=state, to_state="withdrawn", stage_index=0,
                 actor=people["puddleducks-practitioner"])


@pytest.mark.parametrize("username", ["bexley-team-manager", "bexley-psw", "bexley-service-manager"])
def test_only_the_raiser_withdraws(bexley, people, username):
    refused(bexley, ActionNotPermitted, lambda: withdraw(bexley, actor=people[username]))


def test_withdraw_twice_is_refused(bexley):
    withdraw(bexley)
    refused(bexley, ActionConflict, lambda: withdraw(bexley))


def test_a_resolved_escalation_cannot_be_withdrawn(bexley):
    accept(respond(bexley, "agree"))
    refused(bexley, ActionConflict, lambda: withdraw(bexley))


def test_withdraw_needs_a_reason(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_withdraw(
        escalation=bexley, actor=people["bexley-practitioner"], reason=None), field="reason")


# --- reopen -------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-psw"])
def test_reopen_a_resolved_escalation_at_the_next_stage(bexley, people, username):
    """Bexley 3.7: a decision overturned higher up can be taken to the next level."""
    accept(respond(bexley, "agree"))
    n = count(bexley)
    esc = reload(services.escalation_reopen(escalation=bexley, actor=people[username], reason="Overturned."))
    assert esc.state == State.OPEN and esc.stage_index == 1 and esc.holder == people["bexley-service-manager"]
    assert esc.times_reopened == 1 and esc.resolved_at is None and esc.closed_at is None
    assert esc.stage_deadline == at(2026, 11, 11, 17, 0)
    assert_entry(one_new_entry(esc, n), action="reopen", from_state="resolved", to_state="open", stage_index=1,
                 actor=people[username])


def test_reopen_is_refused_at_the_last_stage(stoke, people):
    for _ in range(4):
        stoke = escalate(stoke)
    stoke = respond(stoke, "uphold")
    assert stoke.state == State.RESOLVED and stoke.stage_index == 4
    refused(stoke, ActionConflict, lambda: services.escalation_reopen(
        escalation=stoke, actor=people["stoke-crm"], reason="Overturned."))


def test_reopen_is_refused_while_open(bexley, people):
    refused(bexley, ActionConflict, lambda: services.escalation_reopen(
        escalation=bexley, actor=people["bexley-practitioner"], reason="Overturned."))


def test_holder_cannot_reopen(bexley, people):
    accept(respond(bexley, "agree"))
    refused(bexley, ActionNotPermitted, lambda: services.escalation_reopen(
        escalation=bexley, actor=people["bexley-team-manager"], reason="Overturned."))


# --- mediation ----------------------------------------------------------------------------------
def test_holder_starts_mediation_on_a_multi_agency_ladder(wiltshire, people):
    n = count(wiltshire)
    esc = reload(services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                                     mediator=people["wiltshire-qap-chair"]))
    assert esc.state == State.IN_MEDIATION and esc.mediator == people["wiltshire-qap-chair"]
    assert esc.participants.filter(user=people["wiltshire-qap-chair"], reason="mediator").exists()
    assert_entry(one_new_entry(esc, n), action="start_mediation", from_state="open", to_state="in_mediation",
                 stage_index=0, actor=people["wiltshire-social-worker"])


def test_qap_chair_starts_mediation_on_a_board_logged_escalation(wiltshire, people):
    services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                       reason="Third referral declined.")
    respond(wiltshire)
    esc = reload(services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-qap-chair"],
                                                     mediator=people["wiltshire-qap-chair"]))
    assert esc.state == State.IN_MEDIATION


def test_no_mediation_on_a_single_agency_ladder(bexley, people):
    refused(bexley, ActionConflict, lambda: services.escalation_start_mediation(
        escalation=bexley, actor=people["bexley-psw"], mediator=people["bexley-head-of-service"]))


@pytest.mark.parametrize("party", ["wiltshire-social-worker", "puddleducks-practitioner"])
def test_the_mediator_is_never_a_party(wiltshire, people, party):
    refused(wiltshire, ValidationError, lambda: services.escalation_start_mediation(
        escalation=wiltshire, actor=people["wiltshire-social-worker"], mediator=people[party]), field="mediator")


def test_an_inactive_mediator_is_refused(wiltshire, people):
    User.objects.filter(pk=people["wiltshire-qap-chair"].pk).update(is_active=False)
    chair = User.objects.get(pk=people["wiltshire-qap-chair"].pk)
    refused(wiltshire, ValidationError, lambda: services.escalation_start_mediation(
        escalation=wiltshire, actor=people["wiltshire-social-worker"], mediator=chair), field="mediator")


def test_a_missing_mediator_is_refused(wiltshire, people):
    refused(wiltshire, ValidationError, lambda: services.escalation_start_mediation(
        escalation=wiltshire, actor=people["wiltshire-social-worker"], mediator=None), field="mediator")


@pytest.mark.parametrize("username", ["puddleducks-practitioner", "wiltshire-team-manager", "wiltshire-qap-chair"])
def test_others_cannot_start_mediation(wiltshire, people, username):
    """The raiser, a manager of the holder and the chair (before it is logged with the board) may not."""
    refused(wiltshire, ActionNotPermitted, lambda: services.escalation_start_mediation(
        escalation=wiltshire, actor=people[username], mediator=people["wiltshire-head-of-service"]))


def test_mediation_cannot_start_on_a_resolved_escalation(wiltshire, people):
    accept(respond(wiltshire, "agree"))
    refused(wiltshire, ActionConflict, lambda: services.escalation_start_mediation(
        escalation=wiltshire, actor=people["wiltshire-social-worker"], mediator=people["wiltshire-qap-chair"]))


@pytest.fixture
def in_mediation(wiltshire, people):
    services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                        mediator=people["wiltshire-qap-chair"])
    return wiltshire


def test_mediation_ending_in_agreement_resolves(in_mediation, people):
    n = count(in_mediation)
    esc = reload(services.escalation_end_mediation(escalation=in_mediation, actor=people["wiltshire-social-worker"],
                                                   note="Met on Monday.", agreed=True,
                                                   agreed_outcome="A joint visit next week.",
                                                   outstanding_actions="The DSL reports back after the visit."))
    assert esc.state == State.RESOLVED and esc.agreed_outcome == "A joint visit next week."
    assert esc.outstanding_actions == "The DSL reports back after the visit."
    assert esc.resolved_at is not None
    assert_entry(one_new_entry(esc, n), action="end_mediation", from_state="in_mediation", to_state="resolved",
                 stage_index=0, actor=people["wiltshire-social-worker"])


def test_mediation_without_agreement_reopens_the_same_stage_with_a_fresh_deadline(in_mediation, people, travel):
    travel(at(2026, 11, 12, 11, 0))  # Thursday
    n = count(in_mediation)
    esc = reload(services.escalation_end_mediation(escalation=in_mediation, actor=people["wiltshire-social-worker"],
                                                   note="No agreement.", agreed=False))
    assert esc.state == State.OPEN and esc.stage_index == 0
    assert esc.holder == people["wiltshire-social-worker"]
    assert esc.stage_deadline == at(2026, 11, 19, 17, 0)  # five working days from Thursday
    assert esc.resolved_at is None
    assert_entry(one_new_entry(esc, n), action="end_mediation", from_state="in_mediation", to_state="open",
                 stage_index=0, actor=people["wiltshire-social-worker"])


def test_mediation_without_agreement_keeps_the_cover_holder(wiltshire, people):
    """A stage reassigned for absence cover stays with the cover after a mediation that did not agree."""
    from organisations.models import Organisation
    from tests.factories import UserFactory

    cover = UserFactory(username="wiltshire-cover-worker", organisation=Organisation.objects.get(slug="wiltshire"))
    services.escalation_reassign(escalation=wiltshire, actor=people["wiltshire-team-manager"], new_holder=cover,
                                 reason="Annual leave.")
    services.escalation_start_mediation(escalation=wiltshire, actor=cover, mediator=people["wiltshire-qap-chair"])
    esc = reload(services.escalation_end_mediation(escalation=wiltshire, actor=cover, note="No agreement.",
                                                   agreed=False))
    assert esc.state == State.OPEN and esc.holder == cover


def test_ending_mediation_that_has_not_started_is_refused(wiltshire, people):
    refused(wiltshire, ActionConflict, lambda: services.escalation_end_mediation(
        escalation=wiltshire, actor=people["wiltshire-social-worker"], note="x", agreed=True, agreed_outcome="y",
        outstanding_actions="z"))


def test_ending_mediation_needs_a_yes_or_no(in_mediation, people):
    refused(in_mediation, ValidationError, lambda: services.escalation_end_mediation(
        escalation=in_mediation, actor=people["wiltshire-social-worker"], note="x", agreed="yes"), field="agreed")


def test_ending_mediation_needs_a_note(in_mediation, people):
    refused(in_mediation, ValidationError, lambda: services.escalation_end_mediation(
        escalation=in_mediation, actor=people["wiltshire-social-worker"], note="", agreed=True), field="note")


def test_raiser_cannot_end_mediation(in_mediation, people):
    refused(in_mediation, ActionNotPermitted, lambda: services.escalation_end_mediation(
        escalation=in_mediation, actor=people["puddleducks-practitioner"], note="x", agreed=True, agreed_outcome="y",
        outstanding_actions="z"))


# --- log-with-board -----------------------------------------------------------------------------
def test_participant_logs_with_the_board_and_the_state_is_unchanged(wiltshire, people):
    n, version = count(wiltshire), wiltshire.version
    esc = reload(services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                                    reason="Third referral declined this term."))
    assert esc.state == State.OPEN and esc.board_logged_at is not None and esc.version == version + 1
    assert_entry(one_new_entry(esc, n), action="log_with_board", from_state="open", to_state="open",
                 stage_index=0, actor=people["puddleducks-practitioner"])
    assert Notification.objects.filter(escalation=esc, kind="board_logged",
                                       recipient=people["wiltshire-qap-chair"]).exists()


def test_log_with_board_once_only(wiltshire, people):
    services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"], reason="x")
    refused(wiltshire, ActionConflict, lambda: services.escalation_log_with_board(
        escalation=wiltshire, actor=people["wiltshire-social-worker"], reason="again"))


def test_log_with_board_is_refused_where_the_ladder_has_no_board(bexley, people):
    refused(bexley, ActionConflict, lambda: services.escalation_log_with_board(
        escalation=bexley, actor=people["bexley-practitioner"], reason="x"))


def test_log_with_board_by_a_non_participant_is_refused(wiltshire, people):
    refused(wiltshire, ActionNotPermitted, lambda: services.escalation_log_with_board(
        escalation=wiltshire, actor=people["wiltshire-team-manager"], reason="x"))


def test_log_with_board_needs_a_reason(wiltshire, people):
    refused(wiltshire, ValidationError, lambda: services.escalation_log_with_board(
        escalation=wiltshire, actor=people["puddleducks-practitioner"], reason=" "), field="reason")


# --- reassign -----------------------------------------------------------------------------------
@pytest.fixture
def cover(people):
    """A second Bexley team manager, outside the practitioner's line."""
    return User.objects.create(username="bexley-team-manager-2",
                               organisation=people["bexley-team-manager"].organisation, role=Role.TEAM_MANAGER)


@pytest.mark.parametrize("username", ["bexley-team-manager", "bexley-service-manager", "bexley-psw"])
def test_holder_their_manager_or_the_psw_reassigns(bexley, people, cover, username):
    deadline = bexley.stage_deadline
    n = count(bexley)
    esc = reload(services.escalation_reassign(escalation=bexley, actor=people[username], new_holder=cover,
                                              reason="Annual leave."))
    assert esc.holder == cover and esc.stage_deadline == deadline and esc.state == State.OPEN
    entry = one_new_entry(esc, n)
    assert_entry(entry, action="reassign", from_state="open", to_state="open", stage_index=0, actor=people[username])
    assert entry.params == {"from": "bexley-team-manager", "to": "bexley-team-manager-2"}
    assert esc.participants.filter(user=cover).exists()


def test_reassign_to_someone_without_the_stage_role_who_is_not_the_holders_manager_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=people["bexley-head-of-service"],
        reason="Leave."), field="new_holder")


def test_the_only_team_manager_reassigns_to_their_own_line_manager(bexley, people):
    """Bexley has one team manager: their line manager may always take the stage (CONTRACT 8.5)."""
    esc = reload(services.escalation_reassign(escalation=bexley, actor=people["bexley-team-manager"],
                                              new_holder=people["bexley-service-manager"], reason="Annual leave."))
    assert esc.holder == people["bexley-service-manager"] and esc.stage_index == 0


def test_reassign_to_the_raiser_is_refused(bexley, people):
    raiser = people["bexley-practitioner"]
    raiser.role = Role.TEAM_MANAGER  # holds the stage's role, yet raised it
    raiser.save(update_fields=["role"])
    refused(bexley, ValidationError, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=raiser, reason="Leave."),
        field="new_holder")


def test_reassign_to_someone_away_today_is_refused(bexley, people, cover):
    from organisations.models import Absence

    Absence.objects.create(person=cover, starts_on=NOW.date(), ends_on=NOW.date(), recorded_by=cover)
    refused(bexley, ValidationError, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=cover, reason="Leave."),
        field="new_holder")


def test_reassign_to_another_organisation_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=people["stoke-team-manager"],
        reason="Leave."), field="new_holder")


def test_reassign_to_an_inactive_person_is_refused(bexley, people, cover):
    cover.is_active = False
    cover.save()
    refused(bexley, ValidationError, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=cover, reason="Leave."),
        field="new_holder")


def test_reassign_to_the_current_holder_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=people["bexley-team-manager"],
        reason="Leave."), field="new_holder")


def test_raiser_cannot_reassign(bexley, people, cover):
    refused(bexley, ActionNotPermitted, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-practitioner"], new_holder=cover, reason="Leave."))


def test_a_closed_escalation_is_not_reassigned(bexley, people, cover):
    withdraw(bexley)
    refused(bexley, ActionConflict, lambda: services.escalation_reassign(
        escalation=bexley, actor=people["bexley-team-manager"], new_holder=cover, reason="Leave."))


# --- add a note ---------------------------------------------------------------------------------
def test_psw_adds_a_note_and_nothing_else_changes(bexley, people):
    before = snapshot(bexley)["row"]
    n = count(bexley)
    services.escalation_add_note(escalation=bexley, actor=people["bexley-psw"], note="Advised a strategy meeting.")
    assert snapshot(bexley)["row"] == before
    entry = one_new_entry(bexley, n)
    assert_entry(entry, action="note", from_state="open", to_state="open", stage_index=0, actor=people["bexley-psw"])
    assert entry.note == "Advised a strategy meeting."


def test_someone_who_cannot_see_it_cannot_add_a_note(bexley, people):
    refused(bexley, ActionNotPermitted, lambda: services.escalation_add_note(
        escalation=bexley, actor=people["stoke-psw"], note="x"))


def test_an_empty_note_is_refused(bexley, people):
    refused(bexley, ValidationError, lambda: services.escalation_add_note(
        escalation=bexley, actor=people["bexley-psw"], note=""), field="note")


# --- optimistic locking -------------------------------------------------------------------------
def test_stale_expected_version_is_a_conflict(bexley, people):
    stale = bexley.version
    respond(bexley)
    refused(bexley, ActionConflict, lambda: services.escalation_escalate(
        escalation=bexley, actor=people["bexley-practitioner"], reason="x", expected_version=stale))


def test_current_expected_version_goes_through(bexley, people):
    esc = services.escalation_respond(escalation=bexley, actor=people["bexley-team-manager"], decision="agree",
                                      rationale="x", expected_version=bexley.version)
    assert esc.version == bexley.version + 1
