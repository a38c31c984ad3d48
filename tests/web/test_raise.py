"""Raising a disagreement in the browser: procedure and risk, the emergency page for imminent risk,
the details, and the confirmation that says who holds it and by when."""
import pytest
from django.urls import reverse

from cases.models import Case
from escalations.models import Escalation
from tests.conftest import at

pytestmark = pytest.mark.django_db

START = reverse("escalations:raise")
DETAILS = reverse("escalations:raise_details")
EMERGENCY = reverse("escalations:raise_emergency")

DETAILS_DATA = {"category": "need-for-action", "decision_challenged": "Closed to early help.",
                "concern": "Bruising reported by nursery.", "basis": "professional_judgement",
                "desired_outcome": "A strategy discussion.", "new_reference": "LCS-104233",
                "new_display_name": "A.B."}


@pytest.fixture
def now(travel):
    travel(at(2026, 11, 10, 10, 0))  # Tuesday


def test_step_one_lists_only_the_procedures_i_may_use(client, people):
    client.force_login(people["stoke-social-worker"])
    page = client.get(START).content.decode()
    assert "Stoke-on-Trent concerns about a Conference and Review Manager" in page
    assert 'value="stoke-crm"' not in page and "Bexley" not in page


def test_step_one_explains_what_is_missing(client, people):
    client.force_login(people["bexley-practitioner"])
    response = client.post(START, {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Choose the procedure you are following" in page and "Choose the level of risk to the child" in page


def test_standard_risk_goes_straight_to_the_details(client, people):
    client.force_login(people["bexley-practitioner"])
    response = client.post(START, {"ladder": "bexley-internal", "risk_level": "standard"})
    assert response.status_code == 302
    assert response["Location"] == f"{DETAILS}?ladder=bexley-internal&risk_level=standard"


def test_imminent_risk_shows_the_emergency_contacts_first(client, people):
    client.force_login(people["bs3-practitioner"])
    response = client.post(START, {"ladder": "bs3-nursery", "risk_level": "imminent"})
    assert response["Location"] == f"{EMERGENCY}?ladder=bs3-nursery&risk_level=imminent"
    page = client.get(response["Location"]).content.decode()
    assert "First Response: 0117 903 6444" in page
    assert "Emergency Duty Team, 01454 615 165" in page and "The Police: 999" in page
    assert f"{DETAILS}?ladder=bs3-nursery&amp;risk_level=imminent&amp;acknowledged=1" in page


def test_imminent_risk_shows_the_procedure_s_instruction(client, people):
    client.force_login(people["bexley-practitioner"])
    page = client.get(EMERGENCY, {"ladder": "bexley-internal", "risk_level": "imminent"}).content.decode()
    assert "seek the assistance of the Principal Social Worker now" in page


def test_the_details_of_an_imminent_escalation_wait_for_the_emergency_page(client, people):
    client.force_login(people["bs3-practitioner"])
    response = client.get(DETAILS, {"ladder": "bs3-nursery", "risk_level": "imminent"})
    assert response.status_code == 302
    assert response["Location"] == f"{EMERGENCY}?ladder=bs3-nursery&risk_level=imminent"
    shown = client.get(DETAILS, {"ladder": "bs3-nursery", "risk_level": "imminent", "acknowledged": "1"})
    assert shown.status_code == 200


def test_the_details_page_sends_a_bad_choice_back_to_step_one(client, people):
    client.force_login(people["stoke-social-worker"])
    response = client.get(DETAILS, {"ladder": "stoke-crm", "risk_level": "standard"})
    assert response.status_code == 302 and response["Location"] == START


def test_raising_on_a_new_case_creates_it_and_confirms_who_holds_it_by_when(client, people, now):
    client.force_login(people["bexley-practitioner"])
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard", DETAILS_DATA)
    esc = Escalation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("escalations:raised", args=[esc.pk])
    assert esc.case.reference == "LCS-104233" and esc.case.display_name == "A.B."
    assert esc.basis == "professional_judgement" and esc.category == "need-for-action"
    page = client.get(response["Location"]).content.decode()
    assert "Disagreement raised" in page
    assert "Grace Mensah" in page and "by <strong>5pm on Wednesday 11 November</strong>" in page


def test_raising_on_an_existing_case(client, people, now):
    from cases.services import case_get_or_create

    case, _ = case_get_or_create(organisation=people["bexley-practitioner"].organisation, reference="LCS-1")
    client.force_login(people["bexley-practitioner"])
    data = {**DETAILS_DATA, "case": case.pk, "new_reference": "", "new_display_name": ""}
    client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard", data)
    assert Escalation.objects.get().case == case


def test_significant_harm_goes_to_the_service_manager_the_same_day(client, people, now):
    client.force_login(people["bexley-practitioner"])
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=significant_harm", DETAILS_DATA, follow=True)
    page = response.content.decode()
    assert "Tom Bradley" in page and "5pm on Tuesday 10 November" in page


def test_a_refused_raise_changes_nothing_and_explains_itself(client, people, now):
    client.force_login(people["bexley-practitioner"])
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard",
                           {**DETAILS_DATA, "concern": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#id_concern"' in page and "Enter your concern" in page
    assert not Escalation.objects.exists() and not Case.objects.exists()


def test_a_malformed_reference_is_refused_on_its_field_and_no_case_is_made(client, people, now):
    client.force_login(people["bexley-practitioner"])
    response = client.post(f"{DETAILS}?ladder=bexley-internal&risk_level=standard",
                           {**DETAILS_DATA, "new_reference": "LCS 1 <b>"})
    assert response.status_code == 400
    assert "A reference has letters, digits and - / _ . only" in response.content.decode()
    assert not Case.objects.exists()


def test_a_multi_agency_escalation_goes_to_the_receiving_organisation(client, people, now):
    from organisations.models import Organisation

    wiltshire = Organisation.objects.get(slug="wiltshire")
    client.force_login(people["puddleducks-practitioner"])
    data = {**DETAILS_DATA, "category": "level-of-need", "receiving_organisation": wiltshire.pk}
    response = client.post(f"{DETAILS}?ladder=wiltshire-multi-agency&risk_level=standard", data, follow=True)
    esc = Escalation.objects.get()
    assert esc.receiving_organisation == wiltshire and esc.holder.username == "wiltshire-social-worker"
    page = response.content.decode()
    assert "Ben Foster" in page and "Wiltshire Council Children&#x27;s Social Care" in page
    assert "5pm on Tuesday 17 November" in page


def test_the_preview_says_where_it_would_go(client, people, now):
    client.force_login(people["bexley-practitioner"])
    page = client.get(reverse("escalations:raise_preview"),
                      {"ladder": "bexley-internal", "risk_level": "significant_harm"}).content.decode()
    assert "Tom Bradley" in page and "5pm on Tuesday 10 November" in page


def test_the_preview_of_a_multi_agency_procedure_waits_for_the_organisation(client, people, now):
    client.force_login(people["puddleducks-practitioner"])
    page = client.get(reverse("escalations:raise_preview"),
                      {"ladder": "wiltshire-multi-agency", "risk_level": "standard"}).content.decode()
    assert "in the organisation whose decision you challenge" in page


def test_step_one_loads_htmx_for_the_preview_and_works_without_it(client, people):
    client.force_login(people["bexley-practitioner"])
    page = client.get(START).content.decode()
    assert "vendor/htmx/htmx.min.js" in page and 'hx-get="/escalations/raise/preview/"' in page
    assert 'method="post"' in page and 'type="submit"' in page


@pytest.mark.parametrize("username", ["wiltshire-board-member", "wiltshire-qap-chair"])
def test_board_members_cannot_raise(client, people, username):
    client.force_login(people[username])
    assert client.get(START).status_code == 403
    assert client.get(DETAILS, {"ladder": "wiltshire-multi-agency", "risk_level": "standard"}).status_code == 403


def test_the_confirmation_is_the_raiser_s_others_see_the_escalation_page(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-team-manager"])
    response = client.get(reverse("escalations:raised", args=[esc.pk]))
    assert response["Location"] == reverse("escalations:detail", args=[esc.pk])
