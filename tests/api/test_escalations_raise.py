"""POST /api/v1/escalations/: raise an escalation; bad input names the field and saves nothing."""
import pytest

from escalations.models import Escalation
from tests.api.conftest import RAISE_BODY
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def bexley_case(api):
    api("bexley-practitioner").post("/api/v1/cases/", {"reference": "LCS-7"})
    return "LCS-7"


def body(**fields) -> dict:
    return {**RAISE_BODY, "case": "LCS-7", "ladder": "bexley-internal", "category": "need-for-action", **fields}


def test_raising_answers_201_with_the_escalation_at_its_entry_stage(api, bexley_case, travel):
    travel(at(2026, 11, 10, 10, 0))
    response = api("bexley-practitioner").post("/api/v1/escalations/", body())
    assert response.status_code == 201
    esc = response.json()
    assert esc["case"] == "LCS-7" and esc["ladder"] == "bexley-internal" and esc["state"] == "open"
    assert esc["stage"] == {"index": 0, "name": esc["stage"]["name"], "role": "team_manager"}
    assert esc["holder"] == "bexley-team-manager" and esc["raised_by"] == "bexley-practitioner"
    assert esc["stage_deadline"] == "2026-11-11T17:00:00+00:00"
    assert [entry["action"] for entry in esc["timeline"]] == ["raise"]
    assert Escalation.objects.filter(pk=esc["id"]).exists()


def test_significant_harm_enters_with_the_service_manager_due_the_same_day(api, bexley_case, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = api("bexley-practitioner").post("/api/v1/escalations/", body(risk_level="significant_harm")).json()
    assert esc["holder"] == "bexley-service-manager" and esc["stage"]["index"] == 1
    assert esc["stage_deadline"] == "2026-11-10T17:00:00+00:00"


def test_a_multi_agency_escalation_names_the_receiving_organisation(api, raise_via_api):
    esc = raise_via_api("puddleducks-practitioner", "wiltshire-multi-agency", receiving_organisation="wiltshire")
    assert esc["receiving_organisation"] == "wiltshire" and esc["raising_organisation"] == "puddleducks"
    assert esc["holder"] == "wiltshire-social-worker"


def test_a_multi_agency_escalation_without_a_receiving_organisation_is_refused(api):
    client = api("puddleducks-practitioner")
    client.post("/api/v1/cases/", {"reference": "LCS-8"})
    response = client.post("/api/v1/escalations/", body(case="LCS-8", ladder="wiltshire-multi-agency",
                                                        category="level-of-need"))
    assert response.status_code == 400 and "receiving_organisation" in response.json()


def test_missing_fields_are_each_named(api):
    response = api("bexley-practitioner").post("/api/v1/escalations/", {"ladder": "bexley-internal"})
    assert response.status_code == 400
    assert {"case", "risk_level", "category", "decision_challenged", "concern", "basis",
            "desired_outcome"} <= set(response.json())


def test_an_unknown_case_reference_is_refused_on_case(api):
    response = api("bexley-practitioner").post("/api/v1/escalations/", body(case="NOPE-1"))
    assert response.status_code == 400 and list(response.json()) == ["case"]


def test_another_organisations_case_cannot_be_named(api, bexley_case):
    client = api("stoke-crm")
    response = client.post("/api/v1/escalations/", body(ladder="stoke-crm", category="drift-and-delay"))
    assert response.status_code == 400 and "case" in response.json()


@pytest.mark.parametrize("fields, field", [
    ({"ladder": "no-such-ladder"}, "ladder"),
    ({"ladder": "stoke-crm"}, "ladder"),
    ({"risk_level": "catastrophic"}, "risk_level"),
    ({"basis": "hunch"}, "basis"),
    ({"category": "not-a-category"}, "category"),
    ({"concern": ""}, "concern"),
    ({"concern": 12}, "concern"),
    ({"concern": ["a"]}, "concern"),
    ({"concern": "x" * 10_001}, "concern"),
    ({"receiving_organisation": "stoke"}, "receiving_organisation"),
    ({"receiving_organisation": "no-such-org"}, "receiving_organisation"),
    ({"child_name": "Jo"}, "child_name"),
])
def test_bad_input_names_the_field_with_a_reason_and_saves_nothing(api, bexley_case, fields, field):
    before = Escalation.objects.count()
    response = api("bexley-practitioner").post("/api/v1/escalations/", body(**fields))
    assert response.status_code == 400, response.content
    reasons = response.json()[field]
    assert reasons and all(isinstance(reason, str) and reason for reason in reasons)
    assert Escalation.objects.count() == before


def test_malformed_json_is_a_400_not_a_server_error(api):
    response = api("bexley-practitioner").post("/api/v1/escalations/", data='{"case": ',
                                               content_type="application/json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_a_body_that_is_not_an_object_is_refused(api):
    response = api("bexley-practitioner").post("/api/v1/escalations/", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_a_form_encoded_body_is_refused_as_unsupported(api):
    response = api("bexley-practitioner").post("/api/v1/escalations/", data="case=LCS-7",
                                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_board_member_cannot_raise(api):
    response = api("wiltshire-board-member").post("/api/v1/escalations/", body(ladder="wiltshire-multi-agency"))
    assert response.status_code == 403


def test_a_social_worker_cannot_raise_on_the_conference_and_review_ladder(api):
    client = api("stoke-social-worker")
    client.post("/api/v1/cases/", {"reference": "LCS-9"})
    response = client.post("/api/v1/escalations/", body(case="LCS-9", ladder="stoke-crm", category="drift-and-delay"))
    assert response.status_code == 400 and "ladder" in response.json()
