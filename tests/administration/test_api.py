"""The administration API: the same services as the pages, for an HR system or a script."""
import pytest
from rest_framework.test import APIClient

from administration.models import AuditEntry
from organisations.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org_admin):
    client = APIClient()
    client.force_authenticate(org_admin)
    return client


def test_the_staff_list_is_the_organisations(api):
    body = api.get("/api/v1/administration/people/?page_size=100").json()
    usernames = {person["username"] for person in body["results"]}
    assert "bexley-practitioner" in usernames and "bexley-org-admin" in usernames
    assert not any(name.startswith(("stoke-", "wiltshire-")) for name in usernames)
    practitioner = next(p for p in body["results"] if p["username"] == "bexley-practitioner")
    assert practitioner == {"id": practitioner["id"], "username": "bexley-practitioner", "name": "Sam Whitfield",
                            "email": "bexley-practitioner@example.org", "role": "social_worker",
                            "team": "Assessment Team 2", "line_manager": "bexley-team-manager", "active": True}


def test_invite_and_deactivate(api):
    created = api.post("/api/v1/administration/people/", {
        "name": "Robin Ashby", "email": "robin@bexley.example.org", "role": "team_manager",
        "team": "assessment team 2", "line_manager": "bexley-service-manager",
    }, format="json")
    assert created.status_code == 201
    assert created.json()["team"] == "Assessment Team 2" and created.json()["line_manager"] == "bexley-service-manager"
    done = api.post(f"/api/v1/administration/people/{created.json()['id']}/deactivate/")
    assert done.status_code == 200 and done.json()["active"] is False
    kinds = [entry["kind"] for entry in api.get("/api/v1/administration/audit/").json()["results"]]
    assert kinds == ["person_deactivated", "person_invited"]


def test_bad_input_answers_400_with_the_field_and_saves_nothing(api):
    response = api.post("/api/v1/administration/people/", {
        "name": "", "email": "bexley-psw@example.org", "role": "social_worker", "line_manager": "stoke-director",
    }, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"line_manager"}
    response = api.post("/api/v1/administration/people/", {
        "name": "", "email": "bexley-psw@example.org", "role": "social_worker",
    }, format="json")
    assert response.status_code == 400 and set(response.json()) == {"name", "email"}
    assert not AuditEntry.objects.exists()


def test_deactivating_a_holder_nobody_may_replace_answers_409_with_the_reason(api, people, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    User.objects.filter(pk=people["bexley-team-manager"].pk).update(line_manager=None)  # and no other team manager
    response = api.post(f"/api/v1/administration/people/{people['bexley-team-manager'].pk}/deactivate/")
    assert response.status_code == 409
    assert "holds 1 live stage" in response.json()["detail"]
    assert User.objects.get(username="bexley-team-manager").is_active


def test_another_organisations_person_is_404(api, people):
    response = api.post(f"/api/v1/administration/people/{people['stoke-director'].pk}/deactivate/")
    assert response.status_code == 404


def test_the_import_previews_then_applies_and_refuses_a_file_with_errors(api):
    good = ("name,email,role,team,line_manager_email\n"
            "Robin Ashby,robin@bexley.example.org,social_worker,Duty Team,bexley-team-manager@example.org\n")
    preview = api.post("/api/v1/administration/people/import/", {"csv": good}, format="json").json()
    assert preview == {"applied": False, "new": 1, "changed": 0, "unchanged": 0, "new_teams": ["Duty Team"],
                       "errors": []}
    assert not User.objects.filter(email="robin@bexley.example.org").exists()
    applied = api.post("/api/v1/administration/people/import/", {"csv": good, "apply": True}, format="json")
    assert applied.json()["applied"] is True and User.objects.filter(email="robin@bexley.example.org").exists()
    again = api.post("/api/v1/administration/people/import/", {"csv": good, "apply": True}, format="json").json()
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 1)

    bad = good + "Jo Bloggs,jo@bexley.example.org,wizard,,\n"
    refused = api.post("/api/v1/administration/people/import/", {"csv": bad, "apply": True}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"csv": ["Row 3: Unknown role “wizard”."]}
    assert not User.objects.filter(email="jo@bexley.example.org").exists()


def test_staff_are_refused(people):
    client = APIClient()
    client.force_authenticate(people["bexley-psw"])
    assert client.get("/api/v1/administration/people/").status_code == 403
    assert client.get("/api/v1/administration/audit/").status_code == 403
    assert client.post("/api/v1/administration/people/import/", {"csv": "x"}, format="json").status_code == 403
