"""The pages of CONTRACT 8.1 and the Bexley and Stoke parts of 8.2: the raise page says where a senior
raiser's escalation goes (or why it cannot be raised), offers "who should hold it" and the allocated
worker of a new case; escalate and skip offer the holder too; Bexley's PSW skips; Stoke's allocated
worker acts at the informal stage; a concern about a CRM names the CRM."""
import re

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import case_get_or_create
from escalations import services
from escalations.models import Escalation, State
from organisations.models import Role, User
from policies.models import Ladder
from tests.conftest import at

pytestmark = pytest.mark.django_db

START = reverse("escalations:raise")
DETAILS = reverse("escalations:raise_details")
DETAILS_DATA = {"category": "need-for-action", "decision_challenged": "Closed to early help.",
                "concern": "Bruising reported by nursery.", "basis": "professional_judgement",
                "desired_outcome": "A strategy discussion.", "new_reference": "LCS-204233"}


@pytest.fixture(autouse=True)
def now(travel):
    travel(at(2026, 11, 10, 10, 0))  # Tuesday


def actions_shown(html: str) -> set[str]:
    return set(re.findall(r'<details class="govuk-details app-action" id="action-(\w+)"', html))


def detail(client, esc) -> str:
    response = client.get(reverse("escalations:detail", args=[esc.pk]))
    assert response.status_code == 200
    return response.content.decode()


def post(client, esc, action, data):
    body = {f"{action}-{key}": value for key, value in data.items()}
    body[f"{action}-version"] = Escalation.objects.get(pk=esc.pk).version
    return client.post(reverse(f"escalations:{action}", args=[esc.pk]), body)


# --- the raise page: where it goes ------------------------------------------------------------------
def test_step_one_tells_a_team_manager_it_goes_to_their_service_manager(client, people):
    client.force_login(people["bexley-team-manager"])
    html = client.get(START, {"ladder": "bexley-internal", "risk_level": "standard"}).content.decode()
    assert "Tom Bradley" in html and "(Service Manager)" in html


def test_step_one_says_clearly_why_a_deputy_director_cannot_raise(client, people):
    client.force_login(people["bexley-deputy-director"])
    html = client.get(START, {"ladder": "bexley-internal", "risk_level": "standard"}).content.decode()
    assert "You cannot raise this yourself." in html and "there is none left to raise to" in html
    response = client.post(START, {"ladder": "bexley-internal", "risk_level": "standard"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "there is none left to raise to" in response.content.decode()


def test_step_one_lets_a_deputy_director_raise_imminent_risk_to_the_director(client, people):
    client.force_login(people["bexley-deputy-director"])
    response = client.post(START, {"ladder": "bexley-internal", "risk_level": "imminent"})
    assert response.status_code == 302


def test_a_team_manager_raises_through_the_pages_to_the_service_manager(client, people):
    client.force_login(people["bexley-team-manager"])
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard", DETAILS_DATA)
    assert response.status_code == 302, response.content.decode()
    esc = Escalation.objects.get()
    assert (esc.stage_index, esc.holder) == (1, people["bexley-service-manager"])


# --- the raise page: who should hold it ----------------------------------------------------------------
def test_the_details_offer_the_eligible_holders_and_leave_it_to_the_procedure_by_default(client, people):
    other = User.objects.create(username="bexley-tm-west", first_name="Wendy", last_name="West", role=Role.TEAM_MANAGER,
                                organisation=people["bexley-practitioner"].organisation)
    client.force_login(people["bexley-practitioner"])
    html = client.get(DETAILS, {"ladder": "bexley-internal", "risk_level": "standard"}).content.decode()
    assert "Who should hold it? (optional)" in html and "Leave it to the procedure" in html
    assert 'value="bexley-tm-west"' in html and 'value="bexley-team-manager"' in html
    assert 'value="bexley-service-manager"' in html  # the decision-making panel's entry stage
    assert 'value="bexley-practitioner"' not in html
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard",
                           {**DETAILS_DATA, "holder": "bexley-tm-west"})
    assert response.status_code == 302
    assert Escalation.objects.get().holder == other


def test_a_holder_for_another_stage_is_refused_on_the_field_and_no_case_is_left(client, people):
    client.force_login(people["bexley-practitioner"])
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard",
                           {**DETAILS_DATA, "holder": "bexley-service-manager"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose an active team manager in London Borough of Bexley" in html
    assert not Escalation.objects.exists() and not Case.objects.filter(reference="LCS-204233").exists()


def test_only_a_legal_adviser_is_offered_a_legal_planning_meeting(client, people):
    client.force_login(people["bexley-practitioner"])
    html = client.get(DETAILS, {"ladder": "bexley-internal", "risk_level": "standard"}).content.decode()
    assert "legal-planning-meeting" not in html and "decision-making-panel" in html
    adviser = User.objects.create(username="bexley-legal", role=Role.LEGAL_ADVISER,
                                  organisation=people["bexley-practitioner"].organisation,
                                  line_manager=people["bexley-team-manager"])
    client.force_login(adviser)
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard",
                           {**DETAILS_DATA, "category": "legal-planning-meeting"})
    assert response.status_code == 302
    assert Escalation.objects.get().holder == people["bexley-team-manager"]


# --- the raise page: the allocated worker of a new case ---------------------------------------------------
def test_a_new_case_records_its_allocated_worker_who_becomes_a_party_on_stoke(client, people):
    client.force_login(people["stoke-crm"])
    response = client.post(f"{DETAILS}?ladder=stoke-crm&risk_level=standard",
                           {**DETAILS_DATA, "category": "report-quality",
                            "new_allocated_worker": people["stoke-social-worker"].pk})
    assert response.status_code == 302, response.content.decode()
    esc = Escalation.objects.get()
    assert esc.case.allocated_worker == people["stoke-social-worker"]
    assert esc.participants.filter(user=people["stoke-social-worker"], reason="allocated_worker").exists()


def test_an_allocated_worker_of_another_organisation_is_refused(client, people):
    client.force_login(people["stoke-crm"])
    response = client.post(f"{DETAILS}?ladder=stoke-crm&risk_level=standard",
                           {**DETAILS_DATA, "category": "report-quality",
                            "new_allocated_worker": people["bexley-practitioner"].pk})
    assert response.status_code == 400
    assert "Choose a member of your organisation&#x27;s staff" in response.content.decode()


# --- Stoke 9 on the raise page ------------------------------------------------------------------------------
def test_a_concern_about_a_crm_asks_which_crm(client, people):
    client.force_login(people["stoke-social-worker"])
    html = client.get(DETAILS, {"ladder": "stoke-crm-concerns", "risk_level": "standard"}).content.decode()
    assert "Which Conference and Review Manager is the concern about?" in html and 'value="stoke-crm"' in html
    data = {**DETAILS_DATA, "category": "communication"}
    missing = client.post(f"{DETAILS}?ladder=stoke-crm-concerns&risk_level=standard", data)
    assert missing.status_code == 400
    assert "Choose the Conference and Review Manager the concern is about" in missing.content.decode()
    done = client.post(f"{DETAILS}?ladder=stoke-crm-concerns&risk_level=standard", {**data, "holder": "stoke-crm"})
    assert done.status_code == 302
    assert Escalation.objects.get().holder == people["stoke-crm"]


# --- escalate and skip: who should hold it -----------------------------------------------------------------
def test_escalating_offers_the_next_stages_holders_and_takes_the_one_chosen(client, people, raise_escalation):
    other = User.objects.create(username="bexley-sm-east", first_name="Eve", last_name="East",
                                role=Role.SERVICE_MANAGER, organisation=people["bexley-practitioner"].organisation)
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-practitioner"])
    html = detail(client, esc)
    assert 'name="escalate-holder"' in html and "Eve East" in html
    response = post(client, esc, "escalate", {"reason": "No response.", "holder": other.pk})
    assert response.status_code == 302
    assert Escalation.objects.get(pk=esc.pk).holder == other


def test_escalating_without_choosing_follows_the_rule(client, people, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-practitioner"])
    assert post(client, esc, "escalate", {"reason": "No response.", "holder": ""}).status_code == 302
    assert Escalation.objects.get(pk=esc.pk).holder == people["bexley-service-manager"]


def test_the_bexley_psw_is_offered_the_skip_and_the_raiser_is_not(client, people, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-practitioner"])
    assert "skip" not in actions_shown(detail(client, esc))
    client.force_login(people["bexley-psw"])
    html = detail(client, esc)
    assert "skip" in actions_shown(html)
    assert "Deputy Director" in html and 'name="skip-to_stage" type="radio" value="4"' in html
    assert 'name="skip-to_stage" type="radio" value="2"' not in html
    response = post(client, esc, "skip", {"to_stage": "4", "reason": "Significant enough for the Director."})
    assert response.status_code == 302
    esc = Escalation.objects.get(pk=esc.pk)
    assert (esc.stage_index, esc.holder) == (4, people["bexley-director"])


def test_the_stoke_crm_may_skip_to_the_next_stage(client, people, raise_escalation):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["stoke-crm"])
    assert 'name="skip-to_stage" type="radio" value="1"' in detail(client, esc)
    post(client, esc, "skip", {"to_stage": "1", "reason": "Cannot be resolved informally."})
    assert Escalation.objects.get(pk=esc.pk).stage_index == 1


# --- Stoke 4: the allocated worker on the escalation page ---------------------------------------------------
def test_the_allocated_worker_sees_the_escalation_and_records_the_informal_decision(client, people):
    case, _ = case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-WEB-1",
                                 allocated_worker=people["stoke-social-worker"])
    esc = services.escalation_raise(
        raised_by=people["stoke-crm"], case=case, ladder=Ladder.objects.current().get(slug="stoke-crm"),
        risk_level="standard", category="report-quality", decision_challenged="The report.", concern="Thin.",
        basis="evidence", desired_outcome="A full report.",
    )
    client.force_login(people["stoke-social-worker"])
    assert {"respond", "arrange_meeting"} <= actions_shown(detail(client, esc))
    response = post(client, esc, "respond", {"decision": "agree", "rationale": "Report redone and shared."})
    assert response.status_code == 302
    assert Escalation.objects.get(pk=esc.pk).state == State.RESPONDED


def test_the_allocated_worker_finds_it_awaiting_their_response_at_the_informal_stage_only(client, people):
    case, _ = case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-WEB-2",
                                 allocated_worker=people["stoke-social-worker"])
    esc = services.escalation_raise(
        raised_by=people["stoke-crm"], case=case, ladder=Ladder.objects.current().get(slug="stoke-crm"),
        risk_level="standard", category="report-quality", decision_challenged="The report.", concern="Thin.",
        basis="evidence", desired_outcome="A full report.",
    )
    client.force_login(people["stoke-social-worker"])
    assert "ST-WEB-2" in client.get(reverse("escalations:awaiting")).content.decode()
    services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Unresolved.")
    assert "ST-WEB-2" not in client.get(reverse("escalations:awaiting")).content.decode()
