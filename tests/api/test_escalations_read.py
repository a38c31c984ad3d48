"""GET /api/v1/escalations/ and /api/v1/escalations/{id}/: what each person may see, and how."""
import pytest
from django.core.management import call_command

from escalations import services
from tests.api.conftest import results
from tests.conftest import at

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"id", "case", "ladder", "receiving_organisation", "state", "risk_level", "category", "stage",
                   "holder", "raised_by", "raised_at", "stage_started_at", "stage_deadline", "overall_deadline",
                   "overdue", "timeline"}


def test_the_detail_has_every_contract_field_and_the_extras(api, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    body = api("bexley-practitioner").get(f"/api/v1/escalations/{esc.pk}/").json()
    assert CONTRACT_FIELDS | {"version", "category_label", "allowed_actions", "meeting_at", "decision", "rationale",
                              "agreed_outcome", "outstanding_actions", "mediator", "board_logged_at"} <= set(body)
    assert body["timeline"] == [{
        "at": body["raised_at"], "actor": "bexley-practitioner", "action": "raise", "from_state": "",
        "to_state": "open", "stage_index": 0, "note": "Risk not reassessed.",
    }]
    assert body["overall_deadline"] is None and body["overdue"] is False and body["version"] == 1


def test_datetimes_carry_the_london_offset_in_summer_and_winter(api, raise_escalation, travel):
    travel(at(2026, 6, 9, 10, 0))  # a Tuesday in British Summer Time
    summer = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 10, 10, 0))
    winter = raise_escalation("bexley-practitioner", "bexley-internal")
    client = api("bexley-practitioner")
    assert client.get(f"/api/v1/escalations/{summer.pk}/").json()["stage_deadline"] == "2026-06-10T17:00:00+01:00"
    assert client.get(f"/api/v1/escalations/{winter.pk}/").json()["stage_deadline"] == "2026-11-11T17:00:00+00:00"


def test_the_clocks_timeline_entries_are_by_system(api, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 12, 9, 0))
    call_command("check_deadlines")  # one sweep of the deadline clock (CONTRACT section 6)
    timeline = api("bexley-practitioner").get(f"/api/v1/escalations/{esc.pk}/").json()["timeline"]
    assert timeline[-1]["actor"] == "system" and timeline[-1]["action"] == "deadline_missed"


def test_allowed_actions_are_the_holders_for_the_holder_and_the_raisers_for_the_raiser(api, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    holder = api("bexley-team-manager").get(f"/api/v1/escalations/{esc.pk}/").json()["allowed_actions"]
    raiser = api("bexley-practitioner").get(f"/api/v1/escalations/{esc.pk}/").json()["allowed_actions"]
    assert {"arrange-meeting", "respond", "reassign", "notes"} <= set(holder)
    assert not {"escalate", "withdraw", "accept"} & set(holder)
    assert {"escalate", "withdraw", "notes"} <= set(raiser)
    assert not {"respond", "arrange-meeting", "accept", "skip", "start-mediation"} & set(raiser)


def test_a_listed_action_is_accepted_by_the_service(api, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    holder = api("bexley-team-manager")
    holder.post(f"/api/v1/escalations/{esc.pk}/respond/", {"decision": "uphold", "rationale": "Threshold not met."})
    raiser = api("bexley-practitioner")
    allowed = raiser.get(f"/api/v1/escalations/{esc.pk}/").json()["allowed_actions"]
    assert "accept" in allowed
    assert raiser.post(f"/api/v1/escalations/{esc.pk}/accept/",
                       {"agreed_outcome": "Agreed.", "outstanding_actions": "None."}).status_code == 200


def test_an_invisible_escalation_is_indistinguishable_from_a_missing_one(api, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    stranger = api("stoke-crm")
    invisible = stranger.get(f"/api/v1/escalations/{esc.pk}/")
    missing = stranger.get(f"/api/v1/escalations/{esc.pk + 1000}/")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.content == missing.content


def test_an_action_on_an_invisible_escalation_is_indistinguishable_from_a_missing_one(api, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    stranger = api("wiltshire-board-member")
    invisible = stranger.post(f"/api/v1/escalations/{esc.pk}/withdraw/", {"reason": "x"})
    missing = stranger.post(f"/api/v1/escalations/{esc.pk + 1000}/withdraw/", {"reason": "x"})
    assert invisible.status_code == missing.status_code == 404
    assert invisible.content == missing.content


@pytest.mark.parametrize("path", [
    "/api/v1/escalations/abc/", "/api/v1/escalations/-1/", "/api/v1/escalations/99999999999999999999999/",
    "/api/v1/escalations/9223372036854775808/", "/api/v1/escalations/0/", "/api/v1/no-such-endpoint/",
])
def test_an_id_that_is_not_a_stored_number_is_a_json_404(api, path):
    response = api("bexley-practitioner").get(path)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_the_list_shows_only_what_the_user_may_see(api, raise_escalation):
    bexley = raise_escalation("bexley-practitioner", "bexley-internal")
    stoke = raise_escalation("stoke-crm", "stoke-crm")
    assert [item["id"] for item in results(api("bexley-team-manager").get("/api/v1/escalations/"))] == [bexley.pk]
    assert [item["id"] for item in results(api("stoke-psw").get("/api/v1/escalations/"))] == [stoke.pk]
    assert results(api("wiltshire-board-member").get("/api/v1/escalations/")) == []


def test_the_list_is_paginated_newest_first(api, raise_escalation):
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    body = api("bexley-practitioner").get("/api/v1/escalations/", {"page_size": 1}).json()
    assert body["count"] == 2 and body["previous"] is None and "page=2" in body["next"]
    assert [item["id"] for item in body["results"]] == [second.pk]
    assert first.pk != second.pk


def test_filters_by_state_ladder_and_risk_level(api, raise_escalation, people):
    standard = raise_escalation("bexley-practitioner", "bexley-internal")
    harm = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    services.escalation_withdraw(escalation=standard, actor=people["bexley-practitioner"], reason="Sorted.")
    client = api("bexley-psw")
    ids = lambda **q: [item["id"] for item in results(client.get("/api/v1/escalations/", q))]  # noqa: E731
    assert ids(state="withdrawn") == [standard.pk]
    assert ids(risk_level="significant_harm") == [harm.pk]
    assert set(ids(ladder="bexley-internal")) == {standard.pk, harm.pk}
    assert ids(ladder="stoke-crm") == []


def test_filters_overdue_true_and_false(api, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    late = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 12, 10, 0))
    fresh = raise_escalation("bexley-practitioner", "bexley-internal")
    client = api("bexley-practitioner")
    assert [i["id"] for i in results(client.get("/api/v1/escalations/", {"overdue": "true"}))] == [late.pk]
    assert [i["id"] for i in results(client.get("/api/v1/escalations/", {"overdue": "false"}))] == [fresh.pk]
    assert results(client.get("/api/v1/escalations/", {"overdue": "true"}))[0]["overdue"] is True


def test_filters_holder_me_and_raised_by_me(api, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    held = results(api("bexley-team-manager").get("/api/v1/escalations/", {"holder": "me"}))
    assert [i["id"] for i in held] == [esc.pk]
    assert results(api("bexley-team-manager").get("/api/v1/escalations/", {"raised_by": "me"})) == []
    raised = results(api("bexley-practitioner").get("/api/v1/escalations/", {"raised_by": "me"}))
    assert [i["id"] for i in raised] == [esc.pk]


@pytest.mark.parametrize("query, field", [
    ({"state": "lost"}, "state"), ({"holder": "someone"}, "holder"), ({"risk_level": "x"}, "risk_level"),
    ({"ladder": "x" * 51}, "ladder"),
])
def test_a_bad_filter_value_is_a_400_naming_it(api, query, field):
    response = api("bexley-practitioner").get("/api/v1/escalations/", query)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("size", [5, 25])
def test_the_list_takes_a_fixed_number_of_queries_whatever_the_page_size(
        api, raise_escalation, people, django_assert_max_num_queries, size):
    for n in range(size):
        esc = raise_escalation("bexley-practitioner", "bexley-internal")
        if n % 2:
            services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                        rationale="Threshold not met.")
    client = api("bexley-psw")
    client.get("/api/v1/escalations/")  # warm the per-process caches
    with django_assert_max_num_queries(15):
        response = client.get("/api/v1/escalations/", {"page_size": size})
    assert len(response.json()["results"]) == size
    assert all(len(item["timeline"]) >= 1 for item in response.json()["results"])


def test_the_list_takes_the_same_number_of_queries_for_5_rows_as_for_25(api, raise_escalation, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api("bexley-psw")

    def queries(expected: int) -> int:
        client.get("/api/v1/escalations/")  # warm the per-process caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/escalations/", {"page_size": 25})
        assert len(response.json()["results"]) == expected
        return len(captured)

    for _ in range(5):
        raise_escalation("bexley-practitioner", "bexley-internal")
    five = queries(5)
    for n in range(20):
        esc = raise_escalation("bexley-practitioner", "bexley-internal")
        if n % 3 == 0:
            services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Still unsafe.")
    assert queries(25) == five
