"""Multi-agency rules of CONTRACT 8.2-8.4, through the real services: who may mediate, the QA&P chair told
and able to act, board logs by kind, the resolution panel, written confirmation on every path to resolved,
debriefs, and meeting dates that cannot park an escalation."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.errors import ActionConflict, ActionNotPermitted
from deadlines.sweep import deadlines_sweep
from escalations import services
from escalations.eligibility import mediators_eligible, panel_members_eligible
from escalations.models import BoardLog, Debrief, Escalation, PanelMember, State
from escalations.selectors import mediator_candidates, panel_candidates
from notifications.models import Kind, Notification
from organisations.models import Partnership, Role
from tests.conftest import at
from tests.factories import OrganisationFactory, UserFactory, bristol_third_agency, resolution_panel_for_test

pytestmark = pytest.mark.django_db

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


def reload(escalation: Escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def told(kind: str, escalation: Escalation) -> set[str]:
    return set(Notification.objects.filter(kind=kind, escalation=escalation).values_list(
        "recipient__username", flat=True))


def unchanged(before: Escalation) -> None:
    after = reload(before)
    assert (after.state, after.version, after.timeline.count()) == (before.state, before.version,
                                                                    before.timeline.count())


@pytest.fixture
def tuesday(travel):
    travel(TUESDAY_10AM)


@pytest.fixture
def wiltshire(raise_escalation, tuesday):
    """A nursery practitioner challenges Wiltshire children's social care; the social worker holds it."""
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


@pytest.fixture
def police(people):
    """An officer of a third organisation of the Wiltshire partnership (neither raising nor receiving)."""
    organisation = OrganisationFactory(slug="wiltshire-police", name="Wiltshire Police", kind="police")
    Partnership.objects.get(slug="wiltshire-partnership").members.add(organisation)
    return UserFactory(username="wiltshire-police-sergeant", organisation=organisation, role=Role.PRACTITIONER)


@pytest.fixture
def panel(people, tuesday):
    """A Bristol partnership escalation at the Resolution Panel, held by the partnership's QA&P chair."""
    staff = bristol_third_agency()
    escalation = resolution_panel_for_test()
    return escalation, staff


# --- 8.2 mediation ---------------------------------------------------------------------------------------
def test_the_partnership_s_qap_chair_may_mediate_and_is_then_able_to_see_and_end_it(wiltshire, people):
    chair = people["wiltshire-qap-chair"]
    assert not Escalation.objects.visible_to(chair).filter(pk=wiltshire.pk).exists()
    esc = services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                              mediator=chair)
    assert reload(esc).state == State.IN_MEDIATION
    assert Escalation.objects.visible_to(chair).filter(pk=esc.pk).exists()
    assert chair.has_perm("escalations.end_mediation", reload(esc))
    ended = services.escalation_end_mediation(escalation=esc, actor=chair, note="No agreement yet.", agreed=False)
    assert reload(ended).state == State.OPEN


def test_a_member_of_a_third_organisation_of_the_partnership_may_mediate(wiltshire, people, police):
    esc = services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                              mediator=police)
    assert reload(esc).mediator == police
    assert Escalation.objects.visible_to(police).filter(pk=esc.pk).exists()


@pytest.mark.parametrize("username", [
    "wiltshire-head-of-service",  # the receiving organisation
    "puddleducks-owner",  # the raising organisation
    "bexley-psw",  # another partnership altogether
    "bs3-nursery-manager",  # another partnership's member organisation
    "wiltshire-board-member",  # the partnership's board, not its chair
])
def test_anyone_else_is_refused_as_mediator_by_the_field_and_nothing_changes(wiltshire, people, username):
    could_see = Escalation.objects.visible_to(people[username]).filter(pk=wiltshire.pk).exists()
    with pytest.raises(ValidationError) as refused:
        services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                            mediator=people[username])
    assert set(refused.value.message_dict) == {"mediator"}
    unchanged(wiltshire)
    assert Escalation.objects.visible_to(people[username]).filter(pk=wiltshire.pk).exists() == could_see


def test_a_present_or_past_holder_never_mediates(panel, people):
    """On the resolution panel ladder the chair holds stage 3: a decision maker, so never the mediator."""
    esc, staff = panel
    assert staff["chair"] not in mediators_eligible(esc)
    with pytest.raises(ValidationError) as refused:
        services.escalation_start_mediation(escalation=esc, actor=staff["chair"], mediator=staff["chair"])
    assert set(refused.value.message_dict) == {"mediator"}
    # The social worker held stage 0 before the skip: a past holder, in a party organisation anyway.
    assert people["bristol-social-worker"] not in mediators_eligible(esc)


def test_the_page_s_mediator_candidates_are_exactly_the_eligible_people(wiltshire, people, police):
    assert set(mediator_candidates(escalation=wiltshire)) == {people["wiltshire-qap-chair"], police}
    assert list(mediator_candidates(escalation=wiltshire)) == list(mediators_eligible(wiltshire))


def test_starting_and_ending_mediation_tells_the_qap_chair(wiltshire, people, police):
    esc = services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                              mediator=police)
    assert "wiltshire-qap-chair" in told(Kind.MEDIATION_STARTED, esc)
    services.escalation_end_mediation(escalation=esc, actor=people["wiltshire-social-worker"], note="Met twice.",
                                      agreed=True,
                                      agreed_outcome="An assessment within 10 days.",
                                      outstanding_actions="The team manager reviews it at day 10.")
    assert "wiltshire-qap-chair" in told(Kind.MEDIATION_ENDED, esc)
    assert reload(esc).participants.filter(user=people["wiltshire-qap-chair"], reason="qap_chair").exists()


# --- 8.2 board logs by kind ------------------------------------------------------------------------------
def test_log_with_board_is_a_serious_concern_by_default_and_each_kind_is_logged_once(wiltshire, people, travel):
    raiser = people["puddleducks-practitioner"]
    esc = services.escalation_log_with_board(escalation=wiltshire, actor=raiser, reason="Third referral declined.")
    first = reload(esc).board_logged_at
    assert list(BoardLog.objects.filter(escalation=esc).values_list("kind", flat=True)) == ["serious_concern"]
    with pytest.raises(ActionConflict):
        services.escalation_log_with_board(escalation=esc, actor=raiser, reason="Again.", kind="serious_concern")
    unchanged(reload(esc))
    travel(TUESDAY_10AM + dt.timedelta(days=1))
    esc = services.escalation_log_with_board(escalation=esc, actor=raiser, reason="Still unresolved.",
                                             kind="unresolved")
    assert reload(esc).board_logged_at == first  # the first log: what the reports count
    assert set(BoardLog.objects.filter(escalation=esc).values_list("kind", flat=True)) == {"serious_concern",
                                                                                         "unresolved"}
    assert esc.timeline.filter(action="log_with_board").count() == 2
    with pytest.raises(ActionConflict):
        services.escalation_log_with_board(escalation=esc, actor=raiser, reason="Third time.", kind="unresolved")


def test_an_unknown_kind_of_board_log_is_refused_by_its_field(wiltshire, people):
    with pytest.raises(ValidationError) as refused:
        services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                           reason="x", kind="gossip")
    assert set(refused.value.message_dict) == {"kind"}
    unchanged(wiltshire)


# --- 8.2 the resolution panel ----------------------------------------------------------------------------
def test_the_panel_stage_is_held_by_the_partnership_s_qap_chair_who_sees_it(panel):
    esc, staff = panel
    assert esc.stage_index == 3 and esc.holder == staff["chair"]
    assert Escalation.objects.visible_to(staff["chair"]).filter(pk=esc.pk).exists()


def test_the_chair_convenes_a_panel_of_three_agencies_whose_members_see_it_and_are_told(panel, people):
    esc, staff = panel
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    meeting = TUESDAY_10AM + dt.timedelta(days=3)
    esc = services.escalation_convene_panel(escalation=esc, actor=staff["chair"], members=members,
                                            meeting_at=meeting)
    esc = reload(esc)
    assert esc.state == State.MEETING_ARRANGED and esc.meeting_at == meeting
    assert set(PanelMember.objects.filter(escalation=esc).values_list("user__username", flat=True)) == {
        member.username for member in members}
    for member in members:
        assert Escalation.objects.visible_to(member).filter(pk=esc.pk).exists()
    assert {member.username for member in members} <= told(Kind.PANEL_CONVENED, esc)
    entry = esc.timeline.order_by("pk").last()
    assert (entry.action, entry.actor, entry.to_state) == ("convene_panel", staff["chair"], "meeting_arranged")


def test_parties_add_representations_as_notes_and_the_chair_records_the_panel_s_decision(panel, people):
    esc, staff = panel
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    services.escalation_convene_panel(escalation=esc, actor=staff["chair"], members=members,
                                      meeting_at=TUESDAY_10AM + dt.timedelta(days=3))
    raiser, past_holder = people["bs3-designated-safeguarding-lead"], people["bristol-team-manager"]
    for party in (raiser, past_holder):
        services.escalation_add_note(escalation=esc, actor=party, note=f"Representation of {party.username}.")
    assert reload(esc).state == State.MEETING_ARRANGED
    assert reload(esc).timeline.filter(action="note").count() == 2
    done = services.escalation_respond(escalation=reload(esc), actor=staff["chair"], decision="uphold",
                                       rationale="The panel upholds the decision to step down to early help.",
                                       outstanding_actions="Early help reviews at four weeks; the nursery reports "
                                                           "any new concern the same day.")
    done = reload(done)
    assert done.state == State.RESOLVED
    assert done.agreed_outcome == "The panel upholds the decision to step down to early help."
    assert "four weeks" in done.outstanding_actions


@pytest.mark.parametrize("pick", ["two", "two_organisations", "without_receiving", "a_party", "an_outsider"])
def test_a_panel_that_breaks_the_rules_is_refused_by_the_field_members(panel, people, pick):
    esc, staff = panel
    third = staff["third-lead"]
    bs3, bristol = people["bs3-nursery-manager"], people["bristol-head-of-service"]
    members = {
        "two": [bs3, bristol],
        "two_organisations": [bs3, people["bs3-practitioner"], bristol, people["bristol-service-manager"]],
        "without_receiving": [bs3, third, staff["third-practitioner"]],
        "a_party": [people["bs3-designated-safeguarding-lead"], bristol, third],
        "an_outsider": [bs3, bristol, third, people["bexley-director"]],
    }[pick]
    with pytest.raises(ValidationError) as refused:
        services.escalation_convene_panel(escalation=esc, actor=staff["chair"], members=members,
                                          meeting_at=TUESDAY_10AM + dt.timedelta(days=3))
    assert set(refused.value.message_dict) == {"members"}
    unchanged(esc)
    assert not PanelMember.objects.filter(escalation=esc).exists()


def test_the_page_offers_as_panel_members_exactly_the_eligible_non_parties(panel, people):
    esc, staff = panel
    offered = set(panel_candidates(escalation=esc))
    assert offered == set(panel_members_eligible(esc))
    assert people["bristol-team-manager"] not in offered  # a past holder (stage 1: manager to manager)
    assert people["bs3-designated-safeguarding-lead"] not in offered  # the raiser
    assert staff["chair"] not in offered and people["bexley-director"] not in offered
    assert {people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]} <= offered


def test_only_the_chair_holding_the_panel_stage_convenes_and_only_there(panel, people, raise_escalation):
    esc, staff = panel
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    with pytest.raises(ActionNotPermitted):
        services.escalation_convene_panel(escalation=esc, actor=people["bs3-designated-safeguarding-lead"],
                                          members=members, meeting_at=TUESDAY_10AM + dt.timedelta(days=3))
    early = raise_escalation("bs3-designated-safeguarding-lead", "multi-agency-resolution-panel",
                             receiving="bristol")
    with pytest.raises(ActionConflict) as refused:
        services.escalation_convene_panel(escalation=early, actor=early.holder, members=members,
                                          meeting_at=TUESDAY_10AM + dt.timedelta(days=3))
    assert refused.value.message == "Only a resolution panel's stage convenes a panel."


# --- 8.3 written confirmation on every path to resolved --------------------------------------------------
def test_an_uphold_that_ends_it_needs_how_outstanding_issues_will_be_pursued(raise_escalation, people, tuesday):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    esc = services.escalation_skip(escalation=esc, actor=people["puddleducks-practitioner"], to_stage=3,
                                   reason="Urgent.")
    holder = reload(esc).holder
    with pytest.raises(ValidationError) as refused:
        services.escalation_respond(escalation=esc, actor=holder, decision="uphold", rationale="Upheld.")
    assert set(refused.value.message_dict) == {"outstanding_actions"}
    unchanged(reload(esc))
    done = reload(services.escalation_respond(escalation=reload(esc), actor=holder, decision="uphold",
                                              rationale="Upheld.", outstanding_actions="Review in a month."))
    assert (done.state, done.agreed_outcome, done.outstanding_actions) == (State.RESOLVED, "Upheld.",
                                                                           "Review in a month.")


def test_an_uphold_below_the_final_stage_needs_no_outstanding_actions(wiltshire, people):
    esc = services.escalation_respond(escalation=wiltshire, actor=wiltshire.holder, decision="uphold",
                                      rationale="Threshold not met.")
    assert reload(esc).state == State.RESPONDED and reload(esc).outstanding_actions == ""


def test_an_agreed_mediation_needs_the_agreed_outcome_and_how_issues_will_be_pursued(wiltshire, people):
    chair = people["wiltshire-qap-chair"]
    esc = services.escalation_start_mediation(escalation=wiltshire, actor=wiltshire.holder, mediator=chair)
    with pytest.raises(ValidationError) as refused:
        services.escalation_end_mediation(escalation=esc, actor=chair, note="Agreed.", agreed=True)
    assert set(refused.value.message_dict) == {"agreed_outcome", "outstanding_actions"}
    unchanged(reload(esc))
    done = reload(services.escalation_end_mediation(
        escalation=reload(esc), actor=chair, note="Met on Monday.", agreed=True,
        agreed_outcome="A joint visit this week.", outstanding_actions="The DSL reports back on Friday."))
    assert (done.state, done.agreed_outcome, done.outstanding_actions) == (
        State.RESOLVED, "A joint visit this week.", "The DSL reports back on Friday.")


# --- 8.3 debriefs ----------------------------------------------------------------------------------------
@pytest.fixture
def resolved(wiltshire, people):
    esc = services.escalation_respond(escalation=wiltshire, actor=wiltshire.holder, decision="agree",
                                      rationale="An assessment will be done.")
    return reload(services.escalation_accept(escalation=esc, actor=people["puddleducks-practitioner"],
                                             agreed_outcome="Assessment.", outstanding_actions="Review in 10 days."))


def test_each_party_records_one_debrief_after_resolution(resolved, people):
    raiser, holder = people["puddleducks-practitioner"], people["wiltshire-social-worker"]
    services.escalation_record_debrief(escalation=resolved, actor=raiser, note="Talking early helped.")
    services.escalation_record_debrief(escalation=resolved, actor=holder, note="Share reports sooner.")
    with pytest.raises(ActionConflict):
        services.escalation_record_debrief(escalation=resolved, actor=raiser, note="Once more.")
    assert set(Debrief.objects.filter(escalation=resolved).values_list("by__username", flat=True)) == {
        "puddleducks-practitioner", "wiltshire-social-worker"}
    esc = reload(resolved)
    assert esc.state == State.RESOLVED and esc.timeline.filter(action="record_debrief").count() == 2


def test_someone_who_is_not_a_party_records_no_debrief(resolved, people):
    with pytest.raises(ActionNotPermitted):
        services.escalation_record_debrief(escalation=resolved, actor=people["wiltshire-team-manager"], note="x")
    assert not Debrief.objects.exists()


def test_no_debrief_before_resolution(wiltshire, people):
    with pytest.raises(ActionConflict):
        services.escalation_record_debrief(escalation=wiltshire, actor=people["puddleducks-practitioner"], note="x")


# --- 8.4 meetings ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("when", [
    TUESDAY_10AM - dt.timedelta(hours=1),  # before the stage began
    TUESDAY_10AM + dt.timedelta(days=61),  # more than 60 days ahead
    dt.datetime(9999, 12, 31, 12, 0, tzinfo=dt.UTC),
])
def test_a_meeting_outside_the_stage_and_the_next_60_days_is_refused(wiltshire, when):
    with pytest.raises(ValidationError) as refused:
        services.escalation_arrange_meeting(escalation=wiltshire, actor=wiltshire.holder, meeting_at=when)
    assert set(refused.value.message_dict) == {"meeting_at"}
    unchanged(wiltshire)


def test_a_meeting_within_60_days_is_arranged(wiltshire):
    esc = services.escalation_arrange_meeting(escalation=wiltshire, actor=wiltshire.holder,
                                              meeting_at=TUESDAY_10AM + dt.timedelta(days=59))
    assert reload(esc).state == State.MEETING_ARRANGED


def test_a_panel_meeting_is_bounded_too(panel, people):
    esc, staff = panel
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    with pytest.raises(ValidationError) as refused:
        services.escalation_convene_panel(escalation=esc, actor=staff["chair"], members=members,
                                          meeting_at=TUESDAY_10AM + dt.timedelta(days=90))
    assert set(refused.value.message_dict) == {"meeting_at"}
    unchanged(esc)


def test_a_meeting_set_for_after_the_deadline_does_not_stop_a_significant_harm_escalation_advancing(
        raise_escalation, people, travel):
    """Bexley: significant harm at the Service Manager, due 17:00 the same day. A meeting arranged in time
    but for the next week is recorded; at the deadline the clock still advances it to the Head of Service."""
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    assert esc.stage_index == 1
    late = TUESDAY_10AM + dt.timedelta(days=7)
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=late)
    assert reload(esc).meeting_at == late
    travel(at(2026, 11, 10, 17, 5))
    deadlines_sweep()
    moved = reload(esc)
    assert (moved.state, moved.stage_index, moved.holder) == (State.OPEN, 2, people["bexley-head-of-service"])
    assert moved.timeline.filter(action="auto_advance").count() == 1


def test_a_meeting_before_the_deadline_still_stops_it(raise_escalation, people, travel):
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=at(2026, 11, 10, 15, 0))
    travel(at(2026, 11, 10, 17, 5))
    deadlines_sweep()
    stayed = reload(esc)
    assert (stayed.state, stayed.stage_index) == (State.MEETING_ARRANGED, 1)
