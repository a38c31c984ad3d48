"""POST and GET /api/v1/cases/: register a case by its reference, find the ones you may see."""
import pytest

from cases.models import Case
from tests.api.conftest import results

pytestmark = pytest.mark.django_db


def test_a_new_reference_is_registered_in_the_users_organisation(api):
    response = api("bexley-practitioner").post("/api/v1/cases/", {"reference": "LCS-104233", "display_name": "A.B."})
    assert response.status_code == 201
    assert response.json() | {"created_at": None} == {
        "reference": "LCS-104233", "display_name": "A.B.", "organisation": "bexley", "allocated_worker": None,
        "created_at": None}
    assert Case.objects.get(reference="LCS-104233").organisation.slug == "bexley"


def test_a_known_reference_answers_200_with_the_existing_case(api):
    client = api("bexley-practitioner")
    client.post("/api/v1/cases/", {"reference": "LCS-1"})
    again = client.post("/api/v1/cases/", {"reference": "LCS-1", "display_name": "ignored"})
    assert again.status_code == 200 and again.json()["display_name"] == ""
    assert Case.objects.filter(reference="LCS-1").count() == 1


def test_the_same_reference_in_two_organisations_is_two_cases(api):
    api("bexley-practitioner").post("/api/v1/cases/", {"reference": "LCS-2"})
    assert api("stoke-crm").post("/api/v1/cases/", {"reference": "LCS-2"}).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"reference": "has spaces"}, "reference"),
    ({"reference": ""}, "reference"),
    ({}, "reference"),
    ({"reference": 104233}, "reference"),
    ({"reference": "X" * 65}, "reference"),
    ({"reference": "LCS-3", "display_name": "x" * 121}, "display_name"),
    ({"reference": "LCS-3", "child_name": "Jo"}, "child_name"),
])
def test_a_bad_case_names_the_field_and_saves_nothing(api, body, field):
    response = api("bexley-practitioner").post("/api/v1/cases/", body)
    assert response.status_code == 400 and field in response.json()
    assert all(isinstance(reason, str) for reason in response.json()[field])
    assert not Case.objects.filter(reference="LCS-3").exists()


def test_a_board_member_cannot_register_a_case(api):
    response = api("wiltshire-board-member").post("/api/v1/cases/", {"reference": "LCS-4"})
    assert response.status_code == 403
    assert not Case.objects.filter(reference="LCS-4").exists()


def test_finding_by_reference_shows_only_cases_the_user_may_see(api):
    api("bexley-practitioner").post("/api/v1/cases/", {"reference": "LCS-5"})
    found = results(api("bexley-team-manager").get("/api/v1/cases/", {"reference": "LCS-5"}))
    assert [case["reference"] for case in found] == ["LCS-5"]
    assert results(api("stoke-crm").get("/api/v1/cases/", {"reference": "LCS-5"})) == []
    assert results(api("wiltshire-board-member").get("/api/v1/cases/", {"reference": "LCS-5"})) == []


def test_the_case_list_is_paginated(api):
    body = api("bexley-practitioner").get("/api/v1/cases/").json()
    assert set(body) == {"count", "next", "previous", "results"}


def test_a_page_past_the_end_is_not_found(api):
    response = api("bexley-practitioner").get("/api/v1/cases/", {"page": 99})
    assert response.status_code == 404 and set(response.json()) == {"detail"}
