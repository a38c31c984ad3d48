"""POST /api/v1/escalations/{id}/<action>/: each action by whom it is allowed, and refused otherwise.

200 with the escalation; 403 for someone not allowed; 409 in the wrong state (or a changed version);
400 naming the field; 404 for an escalation the person may not see. A refusal changes nothing.
"""
import pytest

from escalations import services
from escalations.models import Escalation
from organisations.models import Organisation, Role
from tests.conftest import at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(api):
    """act(username, escalation, "respond", {...}) -> the response."""

    def go(username, escalation, action, body=None):
        return api(username).post(f"/api/v1/escalations/{escalation.pk}/{action}/", body or {})

    return go


@pytest.fixture
def bexley(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("bexley-practitioner", "bexley-internal")


@pytest.fixture
def wiltshire(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


def unchanged(escalation: Escalation) -> bool:
    """True if nothing was saved since the escalation object was read."""
    fresh = Escalation.objects.get(pk=escalation.pk)
    return fresh.version == escalation.version and fresh.state == escalation.state and \
        fresh.timeline.count() == escalation.timeline.count()


def respond(escalation, people, decision="uphold"):
    return services.escalation_respond(escalation=escalation, actor=escalation.holder, decision=decision,
                                       rationale="Threshold not met.")


# --- arrange-meeting ---------------------------------------------------------------------------------
def test_the_holder_arranges_a_meeting(act, bexley):
    response = act("bexley-team-manager", bexley, "arrange-meeting", {"meeting_at": "2026-11-10T15:00:00Z"})
    assert response.status_code == 200
    assert response.json()["state"] == "meeting_arranged"
    assert response.json()["meeting_at"] == "2026-11-10T15:00:00+00:00"
    assert response.json()["timeline"][-1]["action"] == "arrange_meeting"


def test_the_raiser_cannot_arrange_the_meeting(act, bexley):
    response = act("bexley-practitioner", bexley, "arrange-meeting", {"meeting_at": "2026-11-10T15:00:00Z"})
    assert response.status_code == 403 and unchanged(bexley)


def test_a_meeting_cannot_be_arranged_after_a_decision(act, bexley, people):
    decided = respond(bexley, people)
    response = act("bexley-team-manager", decided, "arrange-meeting", {"meeting_at": "2026-11-10T15:00:00Z"})
    assert response.status_code == 409 and unchanged(decided)


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-40T10:00:00Z", 1731250000, None, "", "9999-99-99"])
def test_a_bad_meeting_time_is_refused_on_meeting_at(act, bexley, value):
    response = act("bexley-team-manager", bexley, "arrange-meeting", {"meeting_at": value})
    assert response.status_code == 400 and "meeting_at" in response.json() and unchanged(bexley)


def test_a_meeting_long_before_the_stage_began_is_refused(act, bexley):
    response = act("bexley-team-manager", bexley, "arrange-meeting", {"meeting_at": "2020-01-01T10:00:00Z"})
    assert response.status_code == 400 and "meeting_at" in response.json()


# --- respond -----------------------------------------------------------------------------------------
def test_the_holder_records_a_decision(act, bexley):
    response = act("bexley-team-manager", bexley, "respond", {"decision": "agree", "rationale": "Reassess first."})
    assert response.status_code == 200
    assert response.json()["state"] == "responded" and response.json()["decision"] == "agree"


def test_the_holders_manager_who_can_see_it_may_not_respond(act, bexley):
    response = act("bexley-head-of-service", bexley, "respond", {"decision": "agree", "rationale": "x"})
    assert response.status_code == 403 and unchanged(bexley)


@pytest.mark.parametrize("body, field", [
    ({"decision": "maybe", "rationale": "x"}, "decision"),
    ({"decision": "agree"}, "rationale"),
    ({"decision": "agree", "rationale": "   "}, "rationale"),
    ({"decision": True, "rationale": "x"}, "decision"),
    ({"decision": "agree", "rationale": "x", "urgent": True}, "urgent"),
])
def test_a_bad_decision_is_refused_naming_the_field(act, bexley, body, field):
    response = act("bexley-team-manager", bexley, "respond", body)
    assert response.status_code == 400 and field in response.json() and unchanged(bexley)


def test_a_withdrawn_escalation_cannot_be_answered(act, bexley, people):
    gone = services.escalation_withdraw(escalation=bexley, actor=people["bexley-practitioner"], reason="Sorted.")
    response = act("bexley-team-manager", gone, "respond", {"decision": "agree", "rationale": "x"})
    assert response.status_code == 409 and set(response.json()) == {"detail"}


# --- accept ------------------------------------------------------------------------------------------
ACCEPT = {"agreed_outcome": "Reassessment booked.", "outstanding_actions": "None."}


def test_the_raiser_accepts_a_decision(act, bexley, people):
    decided = respond(bexley, people, "agree")
    response = act("bexley-practitioner", decided, "accept", ACCEPT)
    assert response.status_code == 200 and response.json()["state"] == "resolved"
    assert response.json()["agreed_outcome"] == "Reassessment booked."


def test_the_psw_accepts_a_decision(act, bexley, people):
    decided = respond(bexley, people, "agree")
    assert act("bexley-psw", decided, "accept", ACCEPT).status_code == 200


def test_the_holder_cannot_accept_their_own_decision(act, bexley, people):
    decided = respond(bexley, people, "agree")
    assert act("bexley-team-manager", decided, "accept", ACCEPT).status_code == 403 and unchanged(decided)


def test_nothing_can_be_accepted_before_a_decision(act, bexley):
    assert act("bexley-practitioner", bexley, "accept", ACCEPT).status_code == 409 and unchanged(bexley)


# --- escalate ----------------------------------------------------------------------------------------
def test_the_raiser_escalates_to_the_next_stage(act, bexley):
    response = act("bexley-practitioner", bexley, "escalate", {"reason": "Still unsafe."})
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "open" and body["stage"]["index"] == 1 and body["holder"] == "bexley-service-manager"


def test_the_psw_escalates(act, bexley):
    assert act("bexley-psw", bexley, "escalate", {"reason": "Drift."}).json()["stage"]["index"] == 1


def test_the_holder_cannot_escalate(act, bexley):
    assert act("bexley-team-manager", bexley, "escalate", {"reason": "x"}).status_code == 403 and unchanged(bexley)


def test_a_withdrawn_escalation_cannot_be_escalated(act, bexley, people):
    gone = services.escalation_withdraw(escalation=bexley, actor=people["bexley-practitioner"], reason="Sorted.")
    assert act("bexley-practitioner", gone, "escalate", {"reason": "x"}).status_code == 409


def test_escalating_needs_a_reason(act, bexley):
    response = act("bexley-practitioner", bexley, "escalate", {})
    assert response.status_code == 400 and response.json()["reason"] == ["This field is required."]


# --- skip --------------------------------------------------------------------------------------------
@pytest.fixture
def stoke(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("stoke-crm", "stoke-crm")


def test_the_raiser_skips_to_a_later_stage_where_the_ladder_allows(act, stoke):
    response = act("stoke-crm", stoke, "skip", {"to_stage": 2, "reason": "Drift of three months."})
    assert response.status_code == 200
    assert response.json()["stage"]["index"] == 2 and response.json()["holder"] == "stoke-strategic-manager"


def test_bexley_does_not_let_the_raiser_skip(act, bexley):
    """Bexley 4.5: only the PSW skips (CONTRACT 8.2)."""
    response = act("bexley-practitioner", bexley, "skip", {"to_stage": 3, "reason": "x"})
    assert response.status_code == 403 and unchanged(bexley)


def test_only_the_raiser_skips(act, stoke):
    assert act("stoke-psw", stoke, "skip", {"to_stage": 2, "reason": "x"}).status_code == 403 and unchanged(stoke)


@pytest.mark.parametrize("to_stage", [0, 17, "2", 2.5, -1])
def test_a_stage_that_cannot_be_skipped_to_is_refused_on_to_stage(act, stoke, to_stage):
    response = act("stoke-crm", stoke, "skip", {"to_stage": to_stage, "reason": "x"})
    assert response.status_code == 400 and "to_stage" in response.json() and unchanged(stoke)


# --- withdraw ----------------------------------------------------------------------------------------
def test_the_raiser_withdraws(act, bexley):
    response = act("bexley-practitioner", bexley, "withdraw", {"reason": "Resolved in supervision."})
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert response.json()["closed_at"] is not None


def test_the_holder_cannot_withdraw(act, bexley):
    assert act("bexley-team-manager", bexley, "withdraw", {"reason": "x"}).status_code == 403 and unchanged(bexley)


def test_a_withdrawn_escalation_cannot_be_withdrawn_again(act, bexley, people):
    gone = services.escalation_withdraw(escalation=bexley, actor=people["bexley-practitioner"], reason="Sorted.")
    assert act("bexley-practitioner", gone, "withdraw", {"reason": "x"}).status_code == 409 and unchanged(gone)


# --- reopen ------------------------------------------------------------------------------------------
@pytest.fixture
def resolved(bexley, people):
    decided = respond(bexley, people, "agree")
    return services.escalation_accept(escalation=decided, actor=people["bexley-practitioner"],
                                      agreed_outcome="Agreed.", outstanding_actions="None.")


def test_the_raiser_reopens_a_resolved_escalation_at_the_next_stage(act, resolved):
    response = act("bexley-practitioner", resolved, "reopen", {"reason": "Overturned by the head of service."})
    assert response.status_code == 200
    assert response.json()["state"] == "open" and response.json()["stage"]["index"] == 1


def test_the_psw_reopens(act, resolved):
    assert act("bexley-psw", resolved, "reopen", {"reason": "Overturned."}).status_code == 200


def test_the_holder_cannot_reopen(act, resolved):
    assert act("bexley-team-manager", resolved, "reopen", {"reason": "x"}).status_code == 403 and unchanged(resolved)


def test_an_open_escalation_cannot_be_reopened(act, bexley):
    assert act("bexley-practitioner", bexley, "reopen", {"reason": "x"}).status_code == 409 and unchanged(bexley)


# --- start-mediation / end-mediation -----------------------------------------------------------------
def test_the_holder_starts_mediation_naming_the_mediator(act, wiltshire):
    response = act("wiltshire-social-worker", wiltshire, "start-mediation", {"mediator": "wiltshire-qap-chair"})
    assert response.status_code == 200
    assert response.json()["state"] == "in_mediation" and response.json()["mediator"] == "wiltshire-qap-chair"


def test_the_raiser_cannot_start_mediation(act, wiltshire):
    response = act("puddleducks-practitioner", wiltshire, "start-mediation", {"mediator": "wiltshire-qap-chair"})
    assert response.status_code == 403 and unchanged(wiltshire)


def test_a_single_agency_ladder_has_no_mediation(act, bexley):
    response = act("bexley-team-manager", bexley, "start-mediation", {"mediator": "bexley-psw"})
    assert response.status_code == 409 and unchanged(bexley)


@pytest.mark.parametrize("mediator", ["nobody-at-all", "puddleducks-practitioner", 7])
def test_an_unknown_or_partisan_mediator_is_refused_on_mediator(act, wiltshire, mediator):
    response = act("wiltshire-social-worker", wiltshire, "start-mediation", {"mediator": mediator})
    assert response.status_code == 400 and "mediator" in response.json() and unchanged(wiltshire)


# CONTRACT 8.3: an agreed mediation records the written confirmation.
AGREED = {"agreed_outcome": "An assessment within 10 days.", "outstanding_actions": "Reviewed at day 10."}


@pytest.fixture
def mediating(wiltshire, people):
    return services.escalation_start_mediation(escalation=wiltshire, actor=people["wiltshire-social-worker"],
                                               mediator=people["wiltshire-qap-chair"])


def test_mediation_ending_in_agreement_resolves(act, mediating):
    response = act("wiltshire-social-worker", mediating, "end-mediation",
                   {"note": "Assessment agreed.", "agreed": True, **AGREED})
    body = response.json()
    assert response.status_code == 200 and body["state"] == "resolved"
    assert (body["agreed_outcome"], body["outstanding_actions"]) == ("An assessment within 10 days.",
                                                                     "Reviewed at day 10.")


def test_the_qap_chair_ends_mediation_on_a_case_logged_with_the_board(act, mediating, people):
    logged = services.escalation_log_with_board(escalation=mediating, actor=people["puddleducks-practitioner"],
                                                reason="Stuck.")
    response = act("wiltshire-qap-chair", logged, "end-mediation",
                   {"note": "Assessment agreed.", "agreed": True, **AGREED})
    assert response.status_code == 200 and response.json()["state"] == "resolved"


def test_mediation_ending_without_agreement_opens_the_stage_again(act, mediating):
    response = act("wiltshire-social-worker", mediating, "end-mediation", {"note": "No agreement.", "agreed": False})
    assert response.status_code == 200 and response.json()["state"] == "open"


def test_the_raiser_cannot_end_mediation(act, mediating):
    response = act("puddleducks-practitioner", mediating, "end-mediation", {"note": "x", "agreed": True, **AGREED})
    assert response.status_code == 403 and unchanged(mediating)


def test_mediation_that_has_not_started_cannot_end(act, wiltshire):
    response = act("wiltshire-social-worker", wiltshire, "end-mediation", {"note": "x", "agreed": True, **AGREED})
    assert response.status_code == 409 and unchanged(wiltshire)


@pytest.mark.parametrize("agreed", ["yes", "true", 1, None])
def test_agreed_must_be_true_or_false(act, mediating, agreed):
    response = act("wiltshire-social-worker", mediating, "end-mediation", {"note": "x", "agreed": agreed})
    assert response.status_code == 400 and "agreed" in response.json() and unchanged(mediating)


# --- log-with-board ----------------------------------------------------------------------------------
def test_a_participant_logs_a_case_with_the_board(act, wiltshire):
    response = act("puddleducks-practitioner", wiltshire, "log-with-board", {"reason": "Third referral declined."})
    assert response.status_code == 200 and response.json()["board_logged_at"] is not None
    assert response.json()["state"] == "open"


def test_a_case_is_logged_with_the_board_once(act, wiltshire, people):
    logged = services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                                reason="x")
    assert act("puddleducks-practitioner", logged, "log-with-board", {"reason": "y"}).status_code == 409


def test_a_manager_who_sees_it_but_took_no_part_cannot_log_it(act, wiltshire):
    response = act("wiltshire-team-manager", wiltshire, "log-with-board", {"reason": "x"})
    assert response.status_code == 403 and unchanged(wiltshire)


def test_a_single_agency_ladder_does_not_log_with_a_board(act, bexley):
    assert act("bexley-practitioner", bexley, "log-with-board", {"reason": "x"}).status_code == 409


# --- reassign ----------------------------------------------------------------------------------------
@pytest.fixture
def cover(people):
    return UserFactory(username="bexley-team-manager-2", role=Role.TEAM_MANAGER,
                       organisation=Organisation.objects.get(slug="bexley"))


def test_the_holders_manager_reassigns_the_stage_for_absence_cover(act, bexley, cover):
    response = act("bexley-service-manager", bexley, "reassign", {"new_holder": cover.username, "reason": "Leave."})
    assert response.status_code == 200 and response.json()["holder"] == "bexley-team-manager-2"
    assert response.json()["stage_deadline"] == "2026-11-11T17:00:00+00:00"


def test_the_only_team_manager_reassigns_to_their_own_line_manager(act, bexley):
    """Bexley has one team manager: their line manager is always eligible (CONTRACT 8.5)."""
    response = act("bexley-team-manager", bexley, "reassign",
                   {"new_holder": "bexley-service-manager", "reason": "Annual leave."})
    assert response.status_code == 200 and response.json()["holder"] == "bexley-service-manager"
    assert response.json()["stage"]["index"] == 0


def test_the_raiser_cannot_reassign(act, bexley, cover):
    response = act("bexley-practitioner", bexley, "reassign", {"new_holder": cover.username, "reason": "x"})
    assert response.status_code == 403 and unchanged(bexley)


@pytest.mark.parametrize("new_holder", ["bexley-practitioner", "no-such-person", "bexley-team-manager"])
def test_someone_who_cannot_hold_the_stage_is_refused_on_new_holder(act, bexley, new_holder):
    response = act("bexley-team-manager", bexley, "reassign", {"new_holder": new_holder, "reason": "x"})
    assert response.status_code == 400 and "new_holder" in response.json() and unchanged(bexley)


# --- notes -------------------------------------------------------------------------------------------
def test_anyone_who_sees_it_adds_a_note(act, bexley):
    response = act("bexley-psw", bexley, "notes", {"note": "Advised a strategy discussion."})
    assert response.status_code == 200
    assert response.json()["timeline"][-1] | {"at": None} == {
        "at": None, "actor": "bexley-psw", "action": "note", "from_state": "open", "to_state": "open",
        "stage_index": 0, "note": "Advised a strategy discussion."}


def test_a_board_member_cannot_add_a_note(act, bexley):
    assert act("wiltshire-board-member", bexley, "notes", {"note": "x"}).status_code == 404 and unchanged(bexley)


def test_an_empty_note_is_refused(act, bexley):
    response = act("bexley-practitioner", bexley, "notes", {"note": ""})
    assert response.status_code == 400 and "note" in response.json()


def test_a_note_does_not_take_a_version(act, bexley):
    response = act("bexley-practitioner", bexley, "notes", {"note": "x", "version": 1})
    assert response.status_code == 400 and response.json()["version"] == ["Unknown field."]


# --- concurrency and bad bodies ------------------------------------------------------------------------
def test_an_action_on_an_older_version_is_refused_and_changes_nothing(act, bexley, people):
    met = services.escalation_arrange_meeting(escalation=bexley, actor=people["bexley-team-manager"],
                                              meeting_at=at(2026, 11, 10, 15, 0))
    response = act("bexley-team-manager", met, "respond", {"decision": "agree", "rationale": "x", "version": 1})
    assert response.status_code == 409 and "changed" in response.json()["detail"] and unchanged(met)


def test_an_action_on_the_current_version_goes_ahead(act, bexley):
    response = act("bexley-team-manager", bexley, "respond", {"decision": "agree", "rationale": "x", "version": 1})
    assert response.status_code == 200 and response.json()["version"] == 2


def test_without_a_version_a_change_made_during_the_request_is_a_conflict(act, bexley, people, monkeypatch):
    """The version read when the request arrives is the one expected: a concurrent change wins, this one is 409."""
    from escalations import apis

    read = apis.escalation_get_visible
    calls = []

    def read_then_someone_else_acts(**kwargs):
        escalation = read(**kwargs)
        if not calls:
            calls.append(1)
            services.escalation_withdraw(escalation=Escalation.objects.get(pk=escalation.pk),
                                         actor=people["bexley-practitioner"], reason="Sorted.")
        return escalation

    monkeypatch.setattr(apis, "escalation_get_visible", read_then_someone_else_acts)
    response = act("bexley-team-manager", bexley, "respond", {"decision": "agree", "rationale": "x"})
    assert response.status_code == 409
    assert Escalation.objects.get(pk=bexley.pk).state == "withdrawn"


@pytest.mark.parametrize("version", ["1", 0, True, 1.5])
def test_a_version_that_is_not_a_positive_whole_number_is_refused(act, bexley, version):
    response = act("bexley-team-manager", bexley, "respond",
                   {"decision": "agree", "rationale": "x", "version": version})
    assert response.status_code == 400 and "version" in response.json()


@pytest.mark.parametrize("raw", ['{"reason": ', "[]", '"reason"', "null", "\x00"])
def test_a_body_that_is_not_a_json_object_is_a_400(api, bexley, raw):
    response = api("bexley-practitioner").post(f"/api/v1/escalations/{bexley.pk}/withdraw/", data=raw,
                                               content_type="application/json")
    assert response.status_code == 400 and unchanged(bexley)


def test_a_huge_reason_is_refused_and_changes_nothing(act, bexley):
    response = act("bexley-practitioner", bexley, "withdraw", {"reason": "x" * 1_000_000})
    assert response.status_code == 400 and "reason" in response.json() and unchanged(bexley)


def test_only_post_is_allowed_on_an_action(api, bexley):
    response = api("bexley-practitioner").get(f"/api/v1/escalations/{bexley.pk}/withdraw/")
    assert response.status_code == 405 and set(response.json()) == {"detail"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_answers_one_goes_ahead_and_the_other_is_a_conflict(api, raise_escalation, monkeypatch):
    """Both requests read version 1 before either writes: the row lock lets one through, the other is 409."""
    import threading

    from django.db import connection

    from escalations import apis

    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    both_have_read = threading.Barrier(2, timeout=10)
    read = apis.escalation_get_visible
    reads = []

    def read_and_wait(**kwargs):
        escalation = read(**kwargs)
        if len(reads) < 2:
            reads.append(1)
            both_have_read.wait()
        return escalation

    monkeypatch.setattr(apis, "escalation_get_visible", read_and_wait)
    codes = []

    def answer(username, body):
        try:
            codes.append(api(username).post(f"/api/v1/escalations/{esc.pk}/{body.pop('action')}/", body).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=answer, args=("bexley-team-manager", {"action": "respond", "decision": "agree",
                                                                      "rationale": "Reassess."})),
        threading.Thread(target=answer, args=("bexley-practitioner", {"action": "withdraw", "reason": "Sorted."})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409]
    fresh = Escalation.objects.get(pk=esc.pk)
    assert fresh.version == 2 and fresh.timeline.count() == 2
