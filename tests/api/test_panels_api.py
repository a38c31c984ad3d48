"""The API of CONTRACT 8.2-8.4 and 8.7: mediators, board logs by kind, the resolution panel, written
confirmation, debriefs and meeting bounds, each answering with the field and the code the contract says."""
import datetime as dt

import pytest

from escalations import services
from escalations.models import Escalation
from tests.conftest import at
from tests.factories import bristol_third_agency, resolution_panel_for_test

pytestmark = pytest.mark.django_db

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


@pytest.fixture
def tuesday(travel):
    travel(TUESDAY_10AM)


@pytest.fixture
def wiltshire(raise_escalation, tuesday):
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


def act(api, username, escalation, path, body):
    return api(username).post(f"/api/v1/escalations/{escalation.pk}/{path}/", body)


def read(api, username, escalation):
    return api(username).get(f"/api/v1/escalations/{escalation.pk}/")


# --- mediation -------------------------------------------------------------------------------------------
def test_an_outsider_named_as_mediator_is_refused_and_still_cannot_read_the_case(api, wiltshire):
    """Another partnership's PSW was once accepted as mediator and could then read the escalation."""
    response = act(api, "wiltshire-social-worker", wiltshire, "start-mediation", {"mediator": "bexley-psw"})
    assert response.status_code == 400 and "mediator" in response.json()
    assert read(api, "bexley-psw", wiltshire).status_code == 404
    assert read(api, "wiltshire-social-worker", wiltshire).json()["state"] == "open"


def test_the_qap_chair_named_as_mediator_reads_it_and_may_end_the_mediation(api, wiltshire):
    assert read(api, "wiltshire-qap-chair", wiltshire).status_code == 404
    response = act(api, "wiltshire-social-worker", wiltshire, "start-mediation", {"mediator": "wiltshire-qap-chair"})
    assert response.status_code == 200 and response.json()["mediator"] == "wiltshire-qap-chair"
    chair_view = read(api, "wiltshire-qap-chair", wiltshire).json()
    assert "end-mediation" in chair_view["allowed_actions"]


def test_an_agreed_mediation_needs_the_written_confirmation_by_its_fields(api, wiltshire):
    act(api, "wiltshire-social-worker", wiltshire, "start-mediation", {"mediator": "wiltshire-qap-chair"})
    response = act(api, "wiltshire-qap-chair", wiltshire, "end-mediation", {"note": "Agreed.", "agreed": True})
    assert response.status_code == 400
    assert {"agreed_outcome", "outstanding_actions"} <= set(response.json())
    response = act(api, "wiltshire-qap-chair", wiltshire, "end-mediation", {
        "note": "Met on Monday.", "agreed": True, "agreed_outcome": "A joint visit.",
        "outstanding_actions": "The DSL reports back on Friday."})
    body = response.json()
    assert response.status_code == 200 and body["state"] == "resolved"
    assert (body["agreed_outcome"], body["outstanding_actions"]) == ("A joint visit.",
                                                                     "The DSL reports back on Friday.")


# --- board logs ------------------------------------------------------------------------------------------
def test_board_logs_by_kind_each_once_listed_on_the_detail(api, wiltshire, travel):
    response = act(api, "puddleducks-practitioner", wiltshire, "log-with-board", {"reason": "Third referral."})
    assert response.status_code == 200
    assert [log["kind"] for log in response.json()["board_logs"]] == ["serious_concern"]
    again = act(api, "puddleducks-practitioner", wiltshire, "log-with-board",
                {"reason": "Again.", "kind": "serious_concern"})
    assert again.status_code == 409
    travel(TUESDAY_10AM + dt.timedelta(hours=2))
    response = act(api, "puddleducks-practitioner", wiltshire, "log-with-board",
                   {"reason": "Unresolved after a month.", "kind": "unresolved"})
    body = response.json()
    assert [log["kind"] for log in body["board_logs"]] == ["serious_concern", "unresolved"]
    assert body["board_logged_at"] == body["board_logs"][0]["at"]
    assert act(api, "puddleducks-practitioner", wiltshire, "log-with-board",
               {"reason": "x", "kind": "unresolved"}).status_code == 409
    bad = act(api, "puddleducks-practitioner", wiltshire, "log-with-board", {"reason": "x", "kind": "rumour"})
    assert bad.status_code == 400 and "kind" in bad.json()


# --- the resolution panel --------------------------------------------------------------------------------
@pytest.fixture
def panel(people, tuesday):
    staff = bristol_third_agency()
    return resolution_panel_for_test(), staff


def test_the_chair_convenes_the_panel_members_read_it_parties_write_and_the_chair_decides(api, panel, people):
    esc, staff = panel
    chair, third = staff["chair"].username, staff["third-lead"].username
    members = ["bs3-nursery-manager", "bristol-head-of-service", third]
    assert read(api, chair, esc).json()["holder"] == chair
    response = act(api, chair, esc, "convene-panel", {
        "members": members, "meeting_at": (TUESDAY_10AM + dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "meeting_arranged" and sorted(response.json()["panel"]) == sorted(members)
    for member in members:
        assert read(api, member, esc).status_code == 200
    note = act(api, "bs3-designated-safeguarding-lead", esc, "notes", {"note": "Our representation: ..."})
    assert note.status_code == 200 and note.json()["state"] == "meeting_arranged"
    assert note.json()["timeline"][-1]["action"] == "note"
    missing = act(api, chair, esc, "respond", {"decision": "uphold", "rationale": "The panel upholds it."})
    assert missing.status_code == 400 and "outstanding_actions" in missing.json()
    done = act(api, chair, esc, "respond", {"decision": "uphold", "rationale": "The panel upholds it.",
                                            "outstanding_actions": "Early help reviews at four weeks."})
    body = done.json()
    assert body["state"] == "resolved"
    assert (body["agreed_outcome"], body["outstanding_actions"]) == ("The panel upholds it.",
                                                                     "Early help reviews at four weeks.")


@pytest.mark.parametrize(("members", "field"), [
    (["bs3-nursery-manager", "bristol-head-of-service"], "members"),
    (["bs3-nursery-manager", "bs3-practitioner", "bristol-head-of-service", "bristol-service-manager"], "members"),
    (["bs3-designated-safeguarding-lead", "bristol-head-of-service", "THIRD"], "members"),
    (["bs3-nursery-manager", "bristol-head-of-service", "THIRD", "bexley-director"], "members"),
    (["bs3-nursery-manager", "bristol-head-of-service", "nobody-of-that-name"], "members"),
])
def test_a_panel_against_the_rules_answers_400_with_the_field(api, panel, members, field):
    esc, staff = panel
    members = [staff["third-lead"].username if name == "THIRD" else name for name in members]
    response = act(api, staff["chair"].username, esc, "convene-panel", {
        "members": members, "meeting_at": (TUESDAY_10AM + dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 400 and field in response.json()
    assert Escalation.objects.get(pk=esc.pk).state == "open"


def test_nobody_but_the_chair_convenes_and_a_member_outside_cannot_read(api, panel):
    esc, staff = panel
    body = {"members": ["bs3-nursery-manager", "bristol-head-of-service", staff["third-lead"].username],
            "meeting_at": (TUESDAY_10AM + dt.timedelta(days=3)).isoformat()}
    assert act(api, "bs3-designated-safeguarding-lead", esc, "convene-panel", body).status_code == 403
    assert read(api, staff["third-lead"].username, esc).status_code == 404  # not yet a member


# --- debriefs --------------------------------------------------------------------------------------------
def test_each_party_records_one_debrief_listed_on_the_detail(api, wiltshire, people):
    esc = services.escalation_respond(escalation=wiltshire, actor=wiltshire.holder, decision="agree",
                                      rationale="Assessment.")
    services.escalation_accept(escalation=esc, actor=people["puddleducks-practitioner"], agreed_outcome="x",
                               outstanding_actions="y")
    first = act(api, "puddleducks-practitioner", wiltshire, "record-debrief", {"note": "Talking early helped."})
    assert first.status_code == 200
    assert [d["by"] for d in first.json()["debriefs"]] == ["puddleducks-practitioner"]
    assert act(api, "puddleducks-practitioner", wiltshire, "record-debrief", {"note": "Again."}).status_code == 409
    assert act(api, "wiltshire-social-worker", wiltshire, "record-debrief", {"note": "Sooner."}).status_code == 200
    assert act(api, "wiltshire-team-manager", wiltshire, "record-debrief", {"note": "x"}).status_code == 403
    detail = read(api, "puddleducks-practitioner", wiltshire).json()
    assert [d["by"] for d in detail["debriefs"]] == ["puddleducks-practitioner", "wiltshire-social-worker"]
    assert {"agreed_outcome", "outstanding_actions", "board_logs", "panel", "debriefs"} <= set(detail)


def test_a_debrief_before_resolution_answers_409(api, wiltshire):
    assert act(api, "puddleducks-practitioner", wiltshire, "record-debrief", {"note": "x"}).status_code == 409


# --- meetings --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("when", ["9999-12-31T12:00:00+00:00", "2026-11-09T10:00:00+00:00",
                                  "2027-01-15T10:00:00+00:00"])
def test_a_meeting_out_of_bounds_answers_400_with_the_field(api, wiltshire, when):
    response = act(api, "wiltshire-social-worker", wiltshire, "arrange-meeting", {"meeting_at": when})
    assert response.status_code == 400 and "meeting_at" in response.json()
    assert Escalation.objects.get(pk=wiltshire.pk).state == "open"


def test_a_meeting_within_bounds_is_arranged(api, wiltshire):
    response = act(api, "wiltshire-social-worker", wiltshire, "arrange-meeting",
                   {"meeting_at": "2026-11-20T10:00:00+00:00"})
    assert response.status_code == 200 and response.json()["state"] == "meeting_arranged"


# --- the list shows what the detail shows ------------------------------------------------------------------
def _listed_and_read(api, username, escalation) -> tuple[dict, dict]:
    listed = [item for item in api(username).get("/api/v1/escalations/", {"page_size": 100}).json()["results"]
              if item["id"] == escalation.pk]
    detail = read(api, username, escalation).json()
    assert len(listed) == 1 and detail.pop("allowed_actions") is not None
    return listed[0], detail


def _as_the_serializers_give_them(escalation: Escalation) -> dict:
    """The nested parts as the output's serializers give them from the model's rows."""
    from escalations.apis import BoardLogOutput, DebriefOutput, StageRefOutput, TimelineEntryOutput

    return {
        "stage": StageRefOutput(escalation.stage).data,
        "timeline": TimelineEntryOutput(escalation.timeline.select_related("actor"), many=True).data,
        "board_logs": BoardLogOutput(escalation.board_logs.all(), many=True).data,
        "debriefs": DebriefOutput(escalation.debriefs.select_related("by"), many=True).data,
        "panel": [member.user.username for member in escalation.panel_members.select_related("user")],
    }


def test_the_list_shows_a_mediated_logged_and_debriefed_escalation_as_its_detail_does(api, wiltshire, people, travel):
    from django.core.management import call_command

    travel(TUESDAY_10AM + dt.timedelta(days=30))
    call_command("check_deadlines")  # an entry by the clock: actor "system"
    for username, path, body in [
        ("wiltshire-social-worker", "start-mediation", {"mediator": "wiltshire-qap-chair"}),
        ("puddleducks-practitioner", "log-with-board", {"reason": "Third referral."}),
        ("wiltshire-qap-chair", "end-mediation", {"note": "Met on Monday.", "agreed": True,
                                                  "agreed_outcome": "A joint visit.",
                                                  "outstanding_actions": "The DSL reports back on Friday."}),
        ("puddleducks-practitioner", "record-debrief", {"note": "Talking early helped."}),
        ("wiltshire-social-worker", "record-debrief", {"note": "Sooner."}),
    ]:
        assert act(api, username, wiltshire, path, body).status_code == 200, (path, username)
    listed, detail = _listed_and_read(api, "puddleducks-practitioner", wiltshire)
    assert listed == detail
    parts = _as_the_serializers_give_them(Escalation.objects.get(pk=wiltshire.pk))
    assert {name: detail[name] for name in parts} == parts
    assert "system" in [entry["actor"] for entry in detail["timeline"]]
    assert detail["mediator"] == "wiltshire-qap-chair" and len(detail["board_logs"]) == 1
    assert len(detail["debriefs"]) == 2 and detail["state"] == "resolved"


def test_the_list_shows_a_convened_panel_as_the_detail_does(api, panel):
    esc, staff = panel
    members = ["bs3-nursery-manager", "bristol-head-of-service", staff["third-lead"].username]
    assert act(api, staff["chair"].username, esc, "convene-panel", {
        "members": members, "meeting_at": (TUESDAY_10AM + dt.timedelta(days=3)).isoformat()}).status_code == 200
    listed, detail = _listed_and_read(api, staff["chair"].username, esc)
    assert listed == detail and sorted(detail["panel"]) == sorted(members)
    parts = _as_the_serializers_give_them(Escalation.objects.get(pk=esc.pk))
    assert {name: detail[name] for name in parts} == parts
