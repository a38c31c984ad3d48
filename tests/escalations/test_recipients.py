"""The recipient table, event by event: who is told, and who is not, through the real services."""
import datetime as dt

import pytest

from deadlines.sweep import deadlines_sweep
from escalations import services
from escalations.models import Escalation
from escalations.recipients import (
    ORGANISATION_WIDE,
    PARTICIPANTS,
    RAISER,
    RECIPIENTS,
    Parties,
    escalation_notify,
    recipients_for,
)
from notifications.models import Kind, Notification
from organisations.models import Partnership
from tests.conftest import at
from tests.factories import OrganisationFactory, UserFactory
from tests.notifications.conftest import message_to, told

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


@pytest.fixture
def bexley(raise_escalation, travel):
    """A standard Bexley escalation raised by the practitioner on a Tuesday morning."""
    travel(TUESDAY_10AM)
    return raise_escalation("bexley-practitioner", "bexley-internal")


@pytest.fixture
def wiltshire(raise_escalation, travel):
    """A nursery practitioner challenges Wiltshire children's social care (multi-agency)."""
    travel(TUESDAY_10AM)
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


def test_every_event_about_an_escalation_has_a_row_and_the_digest_is_organisation_wide():
    assert set(RECIPIENTS) | set(ORGANISATION_WIDE) == set(Kind.values)
    assert not set(RECIPIENTS) & set(ORGANISATION_WIDE)


@pytest.mark.parametrize("kind", [
    Kind.STAGE_ESCALATED, Kind.MEETING_ARRANGED, Kind.RESPONSE_RECORDED, Kind.DEADLINE_MISSED,
    Kind.AUTO_ADVANCED, Kind.OVERALL_DEADLINE_MISSED, Kind.RESOLVED, Kind.WITHDRAWN, Kind.REOPENED,
    Kind.MEDIATION_STARTED, Kind.MEDIATION_ENDED, Kind.REASSIGNED, Kind.BOARD_LOGGED,
])
def test_every_change_to_an_escalation_reaches_its_raiser(kind):
    assert {RAISER, PARTICIPANTS} & set(RECIPIENTS[kind])


def test_raised_standard_tells_the_holder_once_even_when_they_are_also_the_line_manager(bexley):
    assert bexley.holder.username == "bexley-team-manager"
    assert told(Kind.ESCALATION_RAISED, bexley) == {"bexley-team-manager"}
    assert Notification.objects.filter(escalation=bexley, recipient__username="bexley-team-manager").count() == 1


def test_raised_standard_does_not_alert_the_psw_nor_tell_the_raiser(bexley):
    assert told(Kind.PSW_ALERT, bexley) == set()
    assert not Notification.objects.filter(recipient=bexley.raised_by).exists()


def test_raised_at_significant_harm_tells_the_service_manager_the_line_manager_and_alerts_the_psw(
        raise_escalation, travel):
    travel(TUESDAY_10AM)
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    assert told(Kind.ESCALATION_RAISED, escalation) == {"bexley-service-manager", "bexley-team-manager"}
    assert told(Kind.PSW_ALERT, escalation) == {"bexley-psw"}
    assert Notification.objects.get(kind=Kind.PSW_ALERT).urgent


def test_raised_at_imminent_risk_tells_the_director_and_alerts_the_psw(raise_escalation, travel):
    travel(TUESDAY_10AM)
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert told(Kind.ESCALATION_RAISED, escalation) == {"bexley-director", "bexley-team-manager"}
    assert told(Kind.PSW_ALERT, escalation) == {"bexley-psw"}


def test_a_psw_alert_does_not_go_to_another_organisations_psw(raise_escalation, travel):
    travel(TUESDAY_10AM)
    raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert not Notification.objects.filter(recipient__username="stoke-psw").exists()


def test_meeting_arranged_tells_the_raiser(bexley, people):
    services.escalation_arrange_meeting(escalation=bexley, actor=people["bexley-team-manager"],
                                        meeting_at=at(2026, 11, 10, 15, 0))
    assert told(Kind.MEETING_ARRANGED, bexley) == {"bexley-practitioner"}


def test_response_recorded_tells_the_raiser_only(bexley, people):
    services.escalation_respond(escalation=bexley, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="Threshold not met.")
    assert told(Kind.RESPONSE_RECORDED, bexley) == {"bexley-practitioner"}
    assert "upheld the original decision" in message_to("bexley-practitioner", Kind.RESPONSE_RECORDED, bexley)


def test_stage_escalated_tells_the_new_holder_and_the_previous_one_but_not_the_raiser_who_did_it(bexley, people):
    services.escalation_respond(escalation=bexley, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="Threshold not met.")
    services.escalation_escalate(escalation=bexley, actor=people["bexley-practitioner"], reason="Still at risk.")
    assert told(Kind.STAGE_ESCALATED, bexley) == {"bexley-service-manager", "bexley-team-manager"}


def test_stage_escalated_by_the_psw_tells_the_raiser(bexley, people):
    services.escalation_escalate(escalation=bexley, actor=people["bexley-psw"], reason="PSW escalates (Bexley 4.3).")
    assert told(Kind.STAGE_ESCALATED, bexley) == {
        "bexley-service-manager", "bexley-team-manager", "bexley-practitioner",
    }


def test_deadline_missed_at_standard_tells_the_raiser_they_may_proceed_and_reminds_the_holder(bexley):
    deadlines_sweep(now=at(2026, 11, 12, 9, 0))
    assert told(Kind.DEADLINE_MISSED, bexley) == {"bexley-practitioner", "bexley-team-manager"}
    assert "You may proceed to the next level" in message_to("bexley-practitioner", Kind.DEADLINE_MISSED, bexley)
    assert message_to("bexley-team-manager", Kind.DEADLINE_MISSED, bexley).startswith("Reminder:")
    assert not Notification.objects.get(recipient__username="bexley-practitioner", kind=Kind.DEADLINE_MISSED).urgent


def test_deadline_missed_at_imminent_risk_on_the_last_stage_also_tells_the_psw_urgently(raise_escalation, travel):
    travel(TUESDAY_10AM)
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    deadlines_sweep(now=at(2026, 11, 11, 9, 0))
    assert told(Kind.DEADLINE_MISSED, escalation) == {"bexley-practitioner", "bexley-director", "bexley-psw"}
    assert all(n.urgent for n in Notification.objects.filter(kind=Kind.DEADLINE_MISSED))


def test_auto_advanced_tells_everyone_involved_and_the_psw(raise_escalation, travel):
    travel(TUESDAY_10AM)
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    deadlines_sweep(now=at(2026, 11, 11, 9, 0))
    escalation.refresh_from_db()
    assert escalation.holder.username == "bexley-head-of-service"
    assert told(Kind.AUTO_ADVANCED, escalation) == {
        "bexley-head-of-service", "bexley-service-manager", "bexley-practitioner", "bexley-psw",
    }
    assert "moved" in message_to("bexley-practitioner", Kind.AUTO_ADVANCED, escalation)


def test_overall_deadline_missed_tells_the_raiser_the_holder_and_the_psw(raise_escalation, travel, people):
    travel(TUESDAY_10AM)
    escalation = raise_escalation("stoke-crm", "stoke-crm")
    services.escalation_escalate(escalation=escalation, actor=people["stoke-crm"], reason="Formal stage 1.")
    escalation.refresh_from_db()
    deadlines_sweep(now=escalation.overall_deadline + dt.timedelta(hours=1))
    assert told(Kind.OVERALL_DEADLINE_MISSED, escalation) == {"stoke-crm", "stoke-service-manager", "stoke-psw"}


def test_resolved_tells_every_participant_with_the_written_outcome(bexley, people):
    services.escalation_respond(escalation=bexley, actor=people["bexley-team-manager"], decision="agree",
                                rationale="A strategy discussion will be held.")
    services.escalation_accept(escalation=bexley, actor=people["bexley-practitioner"],
                               agreed_outcome="Strategy discussion on Thursday.",
                               outstanding_actions="The team manager reviews the plan.")
    assert told(Kind.RESOLVED, bexley) == {"bexley-team-manager"}
    message = message_to("bexley-team-manager", Kind.RESOLVED, bexley)
    assert "Strategy discussion on Thursday." in message
    assert "The team manager reviews the plan." in message


def test_resolved_by_the_psw_accepting_reaches_the_raiser(bexley, people):
    services.escalation_respond(escalation=bexley, actor=people["bexley-team-manager"], decision="agree",
                                rationale="Agreed.")
    services.escalation_accept(escalation=bexley, actor=people["bexley-psw"], agreed_outcome="Reassess.",
                               outstanding_actions="None.")
    assert told(Kind.RESOLVED, bexley) == {"bexley-team-manager", "bexley-practitioner"}


def test_withdrawn_tells_the_holder(bexley, people):
    services.escalation_withdraw(escalation=bexley, actor=people["bexley-practitioner"],
                                 reason="Resolved in supervision.")
    assert told(Kind.WITHDRAWN, bexley) == {"bexley-team-manager"}


def test_reopened_tells_the_new_holder_and_the_previous_holder(bexley, people):
    services.escalation_respond(escalation=bexley, actor=people["bexley-team-manager"], decision="agree",
                                rationale="Agreed.")
    services.escalation_accept(escalation=bexley, actor=people["bexley-practitioner"], agreed_outcome="Reassess.",
                               outstanding_actions="None.")
    services.escalation_reopen(escalation=bexley, actor=people["bexley-practitioner"],
                               reason="Overturned by the head of service.")
    assert told(Kind.REOPENED, bexley) == {"bexley-service-manager", "bexley-team-manager"}


def test_reassigned_tells_the_old_and_new_holder_and_the_raiser_not_the_manager_who_did_it(bexley, people):
    cover = UserFactory(username="bexley-cover-manager", organisation=people["bexley-team-manager"].organisation,
                        role="team_manager", line_manager=people["bexley-service-manager"])
    services.escalation_reassign(escalation=bexley, actor=people["bexley-service-manager"], new_holder=cover,
                                 reason="Annual leave.")
    assert told(Kind.REASSIGNED, bexley) == {"bexley-cover-manager", "bexley-team-manager", "bexley-practitioner"}
    assert "to you" in message_to("bexley-cover-manager", Kind.REASSIGNED, bexley)


def test_board_logged_tells_the_partnerships_qap_chair_and_the_raiser(wiltshire, people):
    assert wiltshire.holder.username == "wiltshire-social-worker"
    services.escalation_log_with_board(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                       reason="Third referral declined this term.")
    assert told(Kind.BOARD_LOGGED, wiltshire) == {"wiltshire-qap-chair", "puddleducks-practitioner"}


def test_board_logged_never_tells_the_board_member(wiltshire, people):
    services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                       reason="Serious.")
    assert told(Kind.BOARD_LOGGED, wiltshire) == {"wiltshire-qap-chair"}
    assert not Notification.objects.filter(recipient__username="wiltshire-board-member").exists()


def test_mediation_started_tells_both_organisations_participants_and_the_mediator(wiltshire, people):
    services.escalation_escalate(escalation=wiltshire, actor=people["puddleducks-practitioner"], reason="Unresolved.")
    services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-team-manager"],
                                        mediator=people["wiltshire-qap-chair"])
    assert told(Kind.MEDIATION_STARTED, wiltshire) == {
        "puddleducks-practitioner", "wiltshire-social-worker", "wiltshire-qap-chair",
    }
    assert "named you the mediator" in message_to("wiltshire-qap-chair", Kind.MEDIATION_STARTED, wiltshire)


def test_mediation_started_tells_the_qap_chair_even_before_the_case_is_logged_with_the_board(wiltshire, people):
    """CONTRACT 8.2: starting mediation tells the partnership's QA&P chair, who can then open it."""
    chair = people["wiltshire-qap-chair"]
    partner = UserFactory(username="wiltshire-police-officer", organisation=OrganisationFactory(slug="wilts-police"))
    Partnership.objects.get(slug="wiltshire-partnership").members.add(partner.organisation)
    services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                        mediator=partner)
    assert {"wiltshire-qap-chair", "wiltshire-police-officer"} <= told(Kind.MEDIATION_STARTED, wiltshire)
    assert Escalation.objects.visible_to(chair).filter(pk=wiltshire.pk).exists()


def test_mediation_ended_with_agreement_tells_every_participant_and_the_chair_it_ended_and_is_resolved(
        wiltshire, people):
    services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                        mediator=people["wiltshire-qap-chair"])
    services.escalation_end_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                      note="Met on Monday.", agreed=True, agreed_outcome="Assessment agreed.",
                                      outstanding_actions="The social worker completes it within 10 days.")
    expected = {"puddleducks-practitioner", "wiltshire-qap-chair"}
    assert told(Kind.MEDIATION_ENDED, wiltshire) == expected
    assert told(Kind.RESOLVED, wiltshire) == expected
    message = message_to("puddleducks-practitioner", Kind.RESOLVED, wiltshire)
    assert "Assessment agreed." in message and "within 10 days" in message


def test_deadline_reminder_goes_to_the_holder_only(bexley):
    escalation_notify(kind=Kind.DEADLINE_REMINDER, escalation=bexley)
    assert told(Kind.DEADLINE_REMINDER, bexley) == {"bexley-team-manager"}


def test_nobody_is_told_of_an_escalation_they_may_not_open(bexley, people):
    # A part that names someone who may not open it (here, another organisation's PSW as the holder
    # left behind): the resolver leaves them out, and tells the others.
    stoke_psw = people["stoke-psw"]
    created = escalation_notify(kind=Kind.REASSIGNED, escalation=bexley, previous_holder=stoke_psw)
    assert {n.recipient.username for n in created} == {"bexley-team-manager", "bexley-practitioner"}
    assert not Escalation.objects.visible_to(stoke_psw).filter(pk=bexley.pk).exists()


def test_who_may_open_answers_as_the_read_rule_for_everyone(raise_escalation, people, travel):
    """The resolver's shortcut never says yes where ``Escalation.objects.visible_to`` says no."""
    travel(TUESDAY_10AM)
    escalations = [
        raise_escalation("bexley-practitioner", "bexley-internal"),
        raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"),
    ]
    services.escalation_log_with_board(escalation=escalations[1], actor=people["puddleducks-practitioner"],
                                       reason="Serious.")
    parties = Parties()
    for escalation in escalations:
        for user in people.values():
            visible = Escalation.objects.visible_to(user).filter(pk=escalation.pk).exists()
            assert parties.may_open(user, escalation) == visible, (user.username, escalation.pk)


def test_a_batch_resolves_from_what_it_loaded_without_a_query_per_person(raise_escalation, travel,
                                                                         django_assert_num_queries):
    travel(TUESDAY_10AM)
    escalations = [raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
                   for _ in range(3)]
    parties = Parties()
    parties.psws_load({e.raising_organisation_id for e in escalations})
    parties.participants_load({e.pk for e in escalations})
    with django_assert_num_queries(0):
        told_each = [recipients_for(Kind.AUTO_ADVANCED, e, parties=parties) for e in escalations]
    assert [{u.username for u in users} for users in told_each] == [
        {"bexley-service-manager", "bexley-practitioner", "bexley-psw"}] * 3


def test_an_inactive_person_is_not_told(raise_escalation, travel, people):
    travel(TUESDAY_10AM)
    people["bexley-psw"].is_active = False
    people["bexley-psw"].save(update_fields=["is_active"])
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert told(Kind.PSW_ALERT, escalation) == set()
