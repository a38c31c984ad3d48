"""The escalation page: who may see it, the whole record, and the action forms each person may use
(and only those); each action through its own URL, refusals that explain themselves and change nothing."""
import re

import pytest
from django.urls import reverse

from escalations import services
from escalations.models import Escalation, State
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(travel):
    travel(at(2026, 11, 10, 10, 0))  # Tuesday


@pytest.fixture
def esc(raise_escalation, now):
    return raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-104233")


def page(client, esc, **params) -> str:
    response = client.get(reverse("escalations:detail", args=[esc.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def actions_shown(html: str) -> set[str]:
    return set(re.findall(r'<details class="govuk-details app-action" id="action-(\w+)"', html))


def post(client, esc, action, data, *, version=None):
    url = reverse(f"escalations:{action}", args=[esc.pk])
    body = {f"{action}-{key}": value for key, value in data.items()}
    body[f"{action}-version"] = esc.version if version is None else version
    return client.post(url, body)


# --- who may see it ----------------------------------------------------------------------------------
def test_another_organisation_gets_404(client, people, esc):
    client.force_login(people["stoke-crm"])
    assert client.get(reverse("escalations:detail", args=[esc.pk])).status_code == 404
    assert client.get(reverse("escalations:record", args=[esc.pk])).status_code == 404


def test_a_colleague_outside_the_chain_gets_404(client, people, esc):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="bexley-other", role="social_worker",
                                   organisation=people["bexley-practitioner"].organisation))
    assert client.get(reverse("escalations:detail", args=[esc.pk])).status_code == 404


def test_a_board_member_gets_404(client, people, raise_escalation, now):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    client.force_login(people["wiltshire-board-member"])
    assert client.get(reverse("escalations:detail", args=[esc.pk])).status_code == 404


def test_signing_in_is_needed(client, esc):
    response = client.get(reverse("escalations:detail", args=[esc.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_manager_up_the_chain_and_the_psw_may_see_it(client, people, esc):
    for username in ("bexley-head-of-service", "bexley-psw"):
        client.force_login(people[username])
        assert "LCS-104233" in page(client, esc)


def test_posting_an_action_on_an_unseen_escalation_gets_404_and_changes_nothing(client, people, esc):
    client.force_login(people["stoke-crm"])
    assert post(client, esc, "withdraw", {"reason": "Mine now."}).status_code == 404
    assert Escalation.objects.get(pk=esc.pk).state == State.OPEN


# --- the record --------------------------------------------------------------------------------------
def test_the_page_shows_the_whole_record(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    html = page(client, esc)
    assert "Case LCS-104233" in html
    assert "Grace Mensah (Team manager, London Borough of Bexley Children&#x27;s Social Care)" in html
    assert "Stage deadline: 5pm on Wednesday 11 November" in html
    assert "Case closed to early help." in html and "Risk not reassessed." in html
    assert "Professional judgement (a gut feeling, owned as such)" in html


def test_the_ladder_lists_every_stage_and_highlights_the_current_one(client, people, esc):
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold", rationale="No.")
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Still unsafe.")
    client.force_login(people["bexley-practitioner"])
    html = page(client, esc)
    stages = re.findall(r'<li class="app-ladder__stage([^"]*)"[^>]*data-stage="(\d)"', html)
    assert stages == [(" app-ladder__stage--passed", "0"), (" app-ladder__stage--current", "1"), ("", "2"), ("", "3"),
                      ("", "4")]
    assert "Reached Tuesday 10 November 2026 at 10am; due by 5pm on Wednesday 11 November" in html


def test_the_timeline_shows_every_action_with_who_and_when(client, people, esc):
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="The threshold is not met.")
    client.force_login(people["bexley-practitioner"])
    html = page(client, esc)
    timeline = html[html.index('data-testid="timeline"'):]
    assert re.findall(r'<tr class="govuk-table__row" data-action="(\w+)"', timeline) == ["raise", "respond"]
    assert "Grace Mensah (Team manager" in timeline and "Upheld the original decision" in timeline
    assert "The threshold is not met." in timeline and "Tuesday 10 November 2026 at 10am" in timeline


def test_the_case_name_is_shown_to_the_owning_organisation_only(client, people, raise_escalation, now):
    from cases.services import case_get_or_create

    nursery = people["puddleducks-practitioner"]
    case_get_or_create(organisation=nursery.organisation, reference="PD-1", display_name="U.V.")
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                           reference="PD-1")
    client.force_login(nursery)
    assert "Case PD-1 (U.V.)" in page(client, esc)
    client.force_login(people["wiltshire-social-worker"])
    html = page(client, esc)
    assert "Case PD-1" in html and "U.V." not in html


def test_a_multi_agency_escalation_names_both_organisations(client, people, raise_escalation, now):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    client.force_login(people["wiltshire-social-worker"])
    assert ("Raised by Puddleducks Nursery → received by Wiltshire Council Children&#x27;s Social Care"
            in page(client, esc))


def test_the_page_includes_the_attachments(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    html = page(client, esc)
    assert 'data-testid="attachments"' in html and reverse("escalations:attachment_upload", args=[esc.pk]) in html


def test_an_overdue_escalation_is_flagged(client, people, esc, travel):
    travel(at(2026, 11, 12, 9, 0))
    client.force_login(people["bexley-practitioner"])
    assert 'data-testid="overdue"' in page(client, esc)


# --- the forms each person may use -------------------------------------------------------------------
def test_the_raiser_sees_the_raiser_s_actions_only(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    assert actions_shown(page(client, esc)) == {"escalate", "withdraw", "add_note"}


def test_the_holder_sees_the_holder_s_actions_only(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    assert actions_shown(page(client, esc)) == {"respond", "arrange_meeting", "reassign", "add_note"}


def test_after_a_decision_the_raiser_may_accept_or_escalate(client, people, esc):
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold", rationale="No.")
    client.force_login(people["bexley-practitioner"])
    assert actions_shown(page(client, esc)) == {"accept", "escalate", "withdraw", "add_note"}


def test_skipping_is_offered_only_where_the_ladder_allows_it(client, people, raise_escalation, now):
    stoke = raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["stoke-crm"])
    assert "skip" in actions_shown(page(client, stoke))


def test_a_multi_agency_holder_may_start_mediation_and_a_participant_may_log_with_the_board(
        client, people, raise_escalation, now):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    client.force_login(people["wiltshire-social-worker"])
    assert {"respond", "start_mediation", "log_with_board"} <= actions_shown(page(client, esc))


def test_a_named_action_opens_its_form(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    opened = '<details class="govuk-details app-action" id="action-respond" tabindex="-1" data-action="respond" open>'
    assert opened in page(client, esc, open="respond")


def test_every_form_carries_the_version_it_was_shown_with(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    assert f'name="respond-version" value="{esc.version}"' in page(client, esc)


# --- taking actions ----------------------------------------------------------------------------------
def test_the_holder_records_a_decision(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    response = post(client, esc, "respond", {"decision": "uphold", "rationale": "The threshold is not met."})
    assert response.status_code == 302 and response["Location"] == reverse("escalations:detail", args=[esc.pk])
    esc.refresh_from_db()
    assert esc.state == State.RESPONDED and esc.rationale == "The threshold is not met."
    assert "Your decision is recorded." in client.get(response["Location"]).content.decode()


def test_a_practitioner_posting_a_decision_is_refused_403_and_nothing_changes(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    response = post(client, esc, "respond", {"decision": "agree", "rationale": "I agree with myself."})
    assert response.status_code == 403
    assert "You are not allowed to do this on this escalation." in response.content.decode()
    fresh = Escalation.objects.get(pk=esc.pk)
    assert fresh.state == State.OPEN and fresh.version == esc.version and fresh.timeline.count() == 1


def test_a_stale_form_is_refused_409_and_nothing_changes(client, people, esc):
    services.escalation_add_note(escalation=esc, actor=people["bexley-psw"], note="Advice given.")
    shown_version = esc.version
    services.escalation_arrange_meeting(escalation=esc, actor=people["bexley-team-manager"],
                                        meeting_at=at(2026, 11, 11, 9, 0))
    client.force_login(people["bexley-team-manager"])
    response = post(client, esc, "respond", {"decision": "uphold", "rationale": "No."}, version=shown_version)
    assert response.status_code == 409
    assert "changed while you were looking at it" in response.content.decode()
    assert Escalation.objects.get(pk=esc.pk).state == State.MEETING_ARRANGED


def test_an_action_the_state_does_not_allow_is_refused_409(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    response = post(client, esc, "accept", {"agreed_outcome": "x", "outstanding_actions": "y"})
    assert response.status_code == 409
    assert "Only a decision that has been recorded can be accepted (it is open)." in response.content.decode()
    assert Escalation.objects.get(pk=esc.pk).state == State.OPEN


def test_bad_input_shows_an_error_summary_and_field_errors(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    response = post(client, esc, "respond", {"decision": "", "rationale": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_respond-decision_0"' in html and 'href="#id_respond-rationale"' in html
    assert 'id="id_respond-rationale-error"' in html
    assert Escalation.objects.get(pk=esc.pk).state == State.OPEN


def test_the_holder_arranges_a_meeting(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    response = post(client, esc, "arrange_meeting", {"meeting_day": "11", "meeting_month": "11",
                                                     "meeting_year": "2026", "meeting_time": "2:30pm"})
    assert response.status_code == 302
    esc.refresh_from_db()
    assert esc.state == State.MEETING_ARRANGED and esc.meeting_at == at(2026, 11, 11, 14, 30)


def test_a_meeting_before_the_stage_began_is_refused_on_the_date(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    response = post(client, esc, "arrange_meeting", {"meeting_day": "1", "meeting_month": "11",
                                                     "meeting_year": "2026", "meeting_time": "10:00"})
    assert response.status_code == 400
    assert 'id="id_arrange_meeting-meeting_day-error"' in response.content.decode()
    assert "The meeting cannot be before this stage began." in response.content.decode()


def test_the_raiser_accepts_the_outcome(client, people, esc):
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="agree", rationale="Yes.")
    esc.refresh_from_db()
    client.force_login(people["bexley-practitioner"])
    post(client, esc, "accept", {"agreed_outcome": "Strategy discussion.", "outstanding_actions": "TM reviews plan."})
    esc.refresh_from_db()
    assert esc.state == State.RESOLVED and esc.outstanding_actions == "TM reviews plan."


def test_the_raiser_escalates_to_the_next_stage(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    post(client, esc, "escalate", {"reason": "No response."})
    esc.refresh_from_db()
    assert esc.stage_index == 1 and esc.holder.username == "bexley-service-manager"


def test_the_raiser_withdraws(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    post(client, esc, "withdraw", {"reason": "Resolved in supervision."})
    assert Escalation.objects.get(pk=esc.pk).state == State.WITHDRAWN


def test_the_raiser_reopens_a_resolved_escalation(client, people, esc):
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="agree", rationale="Yes.")
    services.escalation_accept(escalation=esc, actor=people["bexley-practitioner"], agreed_outcome="A.",
                               outstanding_actions="B.")
    esc.refresh_from_db()
    client.force_login(people["bexley-practitioner"])
    post(client, esc, "reopen", {"reason": "Overturned by the head of service."})
    esc.refresh_from_db()
    assert esc.state == State.OPEN and esc.stage_index == 1


def test_the_raiser_skips_to_a_later_stage(client, people, raise_escalation, now):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["stoke-crm"])
    post(client, esc, "skip", {"to_stage": "2", "reason": "Drift of three months."})
    esc.refresh_from_db()
    assert esc.stage_index == 2 and esc.holder.username == "stoke-strategic-manager"


def test_the_holder_reassigns_for_absence_cover(client, people, esc):
    from tests.factories import UserFactory

    cover = UserFactory(username="bexley-cover-tm", organisation=people["bexley-team-manager"].organisation,
                        role="team_manager")
    client.force_login(people["bexley-team-manager"])
    post(client, esc, "reassign", {"new_holder": cover.pk, "reason": "Annual leave."})
    esc.refresh_from_db()
    assert esc.holder == cover


def test_anyone_who_can_see_it_adds_a_note(client, people, esc):
    client.force_login(people["bexley-psw"])
    response = client.post(reverse("escalations:add_note", args=[esc.pk]), {"add_note-note": "Advice given by phone."})
    assert response.status_code == 302
    assert esc.timeline.last().note == "Advice given by phone."


def test_the_receiving_organisation_s_holder_responds_to_a_partner_s_escalation(client, people, raise_escalation, now):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    client.force_login(people["wiltshire-social-worker"])
    post(client, esc, "respond", {"decision": "agree", "rationale": "We will reassess."})
    assert Escalation.objects.get(pk=esc.pk).state == State.RESPONDED


def test_logging_with_the_board_then_mediation_start_and_end(client, people, raise_escalation, now):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    client.force_login(people["puddleducks-practitioner"])
    post(client, esc, "log_with_board", {"reason": "Third referral declined."})
    esc.refresh_from_db()
    assert esc.board_logged_at is not None
    client.force_login(people["wiltshire-qap-chair"])
    assert "start_mediation" in actions_shown(page(client, esc))
    post(client, esc, "start_mediation", {"mediator": people["wiltshire-qap-chair"].pk})
    esc.refresh_from_db()
    assert esc.state == State.IN_MEDIATION and esc.mediator == people["wiltshire-qap-chair"]
    post(client, esc, "end_mediation", {"agreed": "yes", "note": "Both agencies met on Monday.",
                                        "agreed_outcome": "Early help with a lead professional.",
                                        "outstanding_actions": "The lead professional reviews it in six weeks."})
    esc.refresh_from_db()
    assert esc.state == State.RESOLVED and esc.agreed_outcome == "Early help with a lead professional."
    assert esc.outstanding_actions == "The lead professional reviews it in six weeks."


def test_an_unknown_action_is_404(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    assert client.post(f"/escalations/{esc.pk}/explode/", {}).status_code == 404


def test_an_action_url_takes_posts_only(client, people, esc):
    client.force_login(people["bexley-team-manager"])
    assert client.get(reverse("escalations:respond", args=[esc.pk])).status_code == 405


# --- the written record ------------------------------------------------------------------------------
def test_the_written_record_states_every_decision_and_the_outcome(client, people, esc):
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="The threshold is not met.")
    services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Bruising pattern.")
    esc.refresh_from_db()
    services.escalation_respond(escalation=esc, actor=people["bexley-service-manager"], decision="agree",
                                rationale="A strategy discussion will be held.")
    services.escalation_accept(escalation=esc, actor=people["bexley-practitioner"],
                               agreed_outcome="Strategy discussion on Thursday.",
                               outstanding_actions="The team manager reviews the plan afterwards.")
    client.force_login(people["bexley-team-manager"])
    response = client.get(reverse("escalations:record", args=[esc.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "css/print.css" in html
    assert "LCS-104233" in html and "Sam Whitfield (Social worker" in html and "Tom Bradley (Service manager" in html
    entries = re.findall(r'class="app-record__entry" data-action="(\w+)"', html)
    assert entries == ["raise", "respond", "escalate", "respond", "accept"]
    assert html.index("The threshold is not met.") < html.index("A strategy discussion will be held.")
    outcome = html[html.index('data-testid="outcome"'):]
    assert "Strategy discussion on Thursday." in outcome
    assert "The team manager reviews the plan afterwards." in outcome


def test_the_written_record_of_a_live_escalation_says_nothing_is_agreed_yet(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    html = client.get(reverse("escalations:record", args=[esc.pk])).content.decode()
    assert "Not yet agreed." in html


def test_opening_an_escalation_marks_its_notifications_read_and_no_others(client, people, raise_escalation):
    """The team manager reads the record: its notifications stop counting as unread, others stay."""
    from notifications.models import Notification

    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    manager = people["bexley-team-manager"]
    assert Notification.objects.filter(recipient=manager, escalation=first, read_at__isnull=True).exists()

    client.force_login(manager)
    response = client.get(f"/escalations/{first.pk}/")

    assert response.status_code == 200
    assert not Notification.objects.filter(recipient=manager, escalation=first, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=manager, escalation=second, read_at__isnull=True).exists()
