"""An administrator runs the organisation and never reaches case data; nobody else opens these pages."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from escalations.models import Escalation

pytestmark = pytest.mark.django_db


def test_the_home_page_sends_an_administrator_to_the_administration_pages(admin_client):
    assert admin_client.get(reverse("home"))["Location"] == reverse("administration:home")


def test_a_partnership_administrator_starts_there_too(client, partnership_admin):
    client.force_login(partnership_admin)
    assert client.get(reverse("home"))["Location"] == reverse("administration:home")


def test_the_header_offers_an_administrator_only_the_administration_pages(admin_client):
    page = admin_client.get(reverse("administration:home")).content.decode()
    header = page.split('id="navigation"')[1].split("</ul>")[0]
    assert "Administration" in header and "Audit log" in header and "Import from HR" in header
    for other in ("My escalations", "Awaiting my response", "Raise a disagreement", "Notifications", "Reports"):
        assert other not in header


def test_an_administrator_sees_no_escalation_and_no_case(admin_client, org_admin, raise_escalation):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    assert not Escalation.objects.visible_to(org_admin).exists()
    assert admin_client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 404
    assert admin_client.get(reverse("escalations:record", args=[escalation.pk])).status_code == 404
    for name in ("escalations:mine", "escalations:awaiting", "escalations:team", "escalations:raise"):
        assert admin_client.get(reverse(name)).status_code == 403


def test_the_api_gives_an_administrator_no_escalation_and_no_case(org_admin, raise_escalation):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    api = APIClient()
    api.force_authenticate(org_admin)
    assert api.get(f"/api/v1/escalations/{escalation.pk}/").status_code == 404
    assert api.get("/api/v1/escalations/").json()["count"] == 0
    assert api.get("/api/v1/cases/").json()["count"] == 0
    refused = api.post("/api/v1/cases/", {"reference": "LCS-1"}, format="json")
    assert refused.status_code == 403
    assert api.post("/api/v1/escalations/", {}, format="json").status_code == 403


@pytest.mark.parametrize("name", ["administration:home", "administration:people", "administration:audit",
                                  "administration:ladders"])
def test_staff_are_refused_the_administration_pages(client, people, name):
    client.force_login(people["bexley-psw"])
    assert client.get(reverse(name)).status_code == 403


def test_a_partnership_administrator_is_refused_the_organisation_pages(client, partnership_admin):
    client.force_login(partnership_admin)
    for name in ("administration:import", "administration:settings", "administration:teams", "administration:tiers"):
        assert client.get(reverse(name)).status_code == 403


def test_another_organisations_person_is_not_found(admin_client, people):
    stoke = people["stoke-team-manager"]
    assert admin_client.get(reverse("administration:person", args=[stoke.pk])).status_code == 404
    assert admin_client.post(reverse("administration:person_deactivate", args=[stoke.pk])).status_code == 404
    stoke.refresh_from_db()
    assert stoke.is_active


def test_another_organisations_ladder_is_not_found(admin_client):
    assert admin_client.get(reverse("administration:ladder", args=["stoke-crm"])).status_code == 404
    assert admin_client.get(reverse("administration:ladder", args=["wiltshire-multi-agency"])).status_code == 404
