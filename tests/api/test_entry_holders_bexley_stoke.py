"""The API of CONTRACT 8.1, 8.7 and the Bexley and Stoke parts of 8.2: the entry stage by the raiser's own
level, ``holder`` on raise, escalate and skip, the PSW's skip on Bexley, a case's ``allocated_worker``
and what it lets the worker do on Stoke, and concerns about a named CRM."""
import pytest

from escalations.models import Escalation
from organisations.models import Role, User
from tests.api.conftest import RAISE_BODY
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(at(2026, 11, 10, 10, 0))


def raise_(api, username, ladder, *, reference="API-ENTRY-1", category="level-of-need", case_body=None, **fields):
    client = api(username)
    assert client.post("/api/v1/cases/", {"reference": reference, **(case_body or {})}).status_code in (200, 201)
    return client.post("/api/v1/escalations/", {**RAISE_BODY, "case": reference, "ladder": ladder,
                                                "category": category, **fields})


def act(api, username, escalation_id, action, body):
    return api(username).post(f"/api/v1/escalations/{escalation_id}/{action}/", body)


# --- the entry stage -------------------------------------------------------------------------------
def test_a_bexley_team_manager_raises_to_the_service_manager(api):
    response = raise_(api, "bexley-team-manager", "bexley-internal")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["stage"]["index"], body["stage"]["name"], body["holder"]) == (
        1, "Service Manager", "bexley-service-manager")


def test_a_head_of_service_raises_to_the_deputy_director(api):
    body = raise_(api, "bexley-head-of-service", "bexley-internal").json()
    assert (body["stage"]["index"], body["holder"]) == (3, "bexley-deputy-director")


def test_a_deputy_director_has_no_stage_left_to_raise_to(api):
    response = raise_(api, "bexley-deputy-director", "bexley-internal")
    assert response.status_code == 400
    assert "there is none left to raise to" in response.json()["ladder"][0]
    assert not Escalation.objects.exists()


def test_a_wiltshire_manager_raises_manager_to_manager(api):
    response = raise_(api, "wiltshire-team-manager", "wiltshire-multi-agency", receiving_organisation="puddleducks")
    assert response.status_code == 201
    assert (response.json()["stage"]["index"], response.json()["holder"]) == (
        1, "puddleducks-designated-safeguarding-lead")


# --- holder on raise, escalate and skip --------------------------------------------------------------
def test_a_named_eligible_holder_holds_the_entry_stage(api, people):
    User.objects.create(username="bexley-tm-west", organisation=people["bexley-practitioner"].organisation,
                        role=Role.TEAM_MANAGER)
    response = raise_(api, "bexley-practitioner", "bexley-internal", holder="bexley-tm-west")
    assert response.status_code == 201 and response.json()["holder"] == "bexley-tm-west"


@pytest.mark.parametrize("holder", ["bexley-service-manager", "bexley-practitioner", "stoke-team-manager",
                                    "nobody-at-all"])
def test_a_named_holder_who_is_not_eligible_answers_400_on_holder(api, holder):
    response = raise_(api, "bexley-practitioner", "bexley-internal", holder=holder)
    assert response.status_code == 400 and list(response.json()) == ["holder"]
    assert not Escalation.objects.exists()


def test_escalate_takes_a_named_holder_and_refuses_an_ineligible_one(api, people):
    User.objects.create(username="bexley-sm-east", organisation=people["bexley-practitioner"].organisation,
                        role=Role.SERVICE_MANAGER)
    esc = raise_(api, "bexley-practitioner", "bexley-internal").json()
    refused = act(api, "bexley-practitioner", esc["id"], "escalate", {"reason": "Unsafe.", "holder": "bexley-director"})
    assert refused.status_code == 400 and "holder" in refused.json()
    done = act(api, "bexley-practitioner", esc["id"], "escalate", {"reason": "Unsafe.", "holder": "bexley-sm-east"})
    assert done.status_code == 200 and done.json()["holder"] == "bexley-sm-east"


def test_escalate_without_a_holder_follows_the_rule(api):
    esc = raise_(api, "bexley-practitioner", "bexley-internal").json()
    done = act(api, "bexley-practitioner", esc["id"], "escalate", {"reason": "Unsafe."})
    assert done.status_code == 200 and done.json()["holder"] == "bexley-service-manager"


# --- Bexley: the PSW's skip, the categories ----------------------------------------------------------
def test_the_bexley_psw_skips_to_the_director_and_nobody_else_may(api):
    esc = raise_(api, "bexley-practitioner", "bexley-internal").json()
    assert act(api, "bexley-practitioner", esc["id"], "skip", {"to_stage": 3, "reason": "x"}).status_code == 403
    assert "skip" not in api("bexley-practitioner").get(f"/api/v1/escalations/{esc['id']}/").json()["allowed_actions"]
    assert "skip" in api("bexley-psw").get(f"/api/v1/escalations/{esc['id']}/").json()["allowed_actions"]
    done = act(api, "bexley-psw", esc["id"], "skip", {"to_stage": 4, "reason": "Significant enough."})
    assert done.status_code == 200
    assert (done.json()["stage"]["index"], done.json()["holder"]) == (4, "bexley-director")


def test_a_decision_making_panel_enters_at_the_service_manager(api):
    response = raise_(api, "bexley-practitioner", "bexley-internal", category="decision-making-panel")
    assert response.status_code == 201 and response.json()["holder"] == "bexley-service-manager"
    done = act(api, "bexley-practitioner", response.json()["id"], "escalate", {"reason": "Unresolved."})
    assert done.json()["stage"]["name"] == "Deputy Director"


def test_only_a_legal_adviser_chooses_a_legal_planning_meeting(api, people):
    refused = raise_(api, "bexley-practitioner", "bexley-internal", category="legal-planning-meeting")
    assert refused.status_code == 400 and list(refused.json()) == ["category"]
    User.objects.create(username="bexley-legal", organisation=people["bexley-practitioner"].organisation,
                        role=Role.LEGAL_ADVISER, line_manager=people["bexley-team-manager"])
    done = raise_(api, "bexley-legal", "bexley-internal", category="legal-planning-meeting", reference="API-LEGAL")
    assert done.status_code == 201
    assert (done.json()["stage"]["index"], done.json()["holder"]) == (0, "bexley-team-manager")


# --- cases: the allocated worker ------------------------------------------------------------------------
def test_a_case_records_its_allocated_worker(api):
    response = api("stoke-crm").post("/api/v1/cases/", {"reference": "ST-9", "allocated_worker": "stoke-social-worker"})
    assert response.status_code == 201 and response.json()["allocated_worker"] == "stoke-social-worker"
    found = api("stoke-crm").get("/api/v1/cases/", {"reference": "ST-9"}).json()["results"]
    assert found[0]["allocated_worker"] == "stoke-social-worker"


@pytest.mark.parametrize("worker", ["bexley-practitioner", "nobody-at-all"])
def test_an_allocated_worker_outside_the_organisation_answers_400(api, worker):
    from cases.models import Case

    response = api("stoke-crm").post("/api/v1/cases/", {"reference": "ST-10", "allocated_worker": worker})
    assert response.status_code == 400 and list(response.json()) == ["allocated_worker"]
    assert not Case.objects.filter(reference="ST-10").exists()


def test_the_stoke_allocated_worker_sees_and_resolves_the_informal_stage(api):
    esc = raise_(api, "stoke-crm", "stoke-crm", category="report-quality", reference="ST-11",
                 case_body={"allocated_worker": "stoke-social-worker"}).json()
    seen = api("stoke-social-worker").get(f"/api/v1/escalations/{esc['id']}/")
    assert seen.status_code == 200
    assert {"respond", "arrange-meeting"} <= set(seen.json()["allowed_actions"])
    done = act(api, "stoke-social-worker", esc["id"], "respond", {"decision": "agree", "rationale": "Report redone."})
    assert done.status_code == 200 and done.json()["state"] == "responded"


def test_the_stoke_crm_skips_to_the_next_stage(api):
    esc = raise_(api, "stoke-crm", "stoke-crm", category="report-quality", reference="ST-12").json()
    done = act(api, "stoke-crm", esc["id"], "skip", {"to_stage": 1, "reason": "Cannot be resolved informally."})
    assert done.status_code == 200 and done.json()["stage"]["index"] == 1


# --- Stoke 9 ------------------------------------------------------------------------------------------------
def test_a_concern_about_a_crm_requires_the_crm_by_name(api):
    missing = raise_(api, "stoke-social-worker", "stoke-crm-concerns", category="communication")
    assert missing.status_code == 400 and list(missing.json()) == ["holder"]
    wrong = raise_(api, "stoke-social-worker", "stoke-crm-concerns", category="communication",
                   holder="stoke-team-manager")
    assert wrong.status_code == 400 and list(wrong.json()) == ["holder"]
    done = raise_(api, "stoke-social-worker", "stoke-crm-concerns", category="communication", holder="stoke-crm")
    assert done.status_code == 201 and done.json()["holder"] == "stoke-crm"
    climbed = act(api, "stoke-social-worker", done.json()["id"], "escalate", {"reason": "Not resolved."})
    assert climbed.json()["holder"] == "stoke-service-manager"
