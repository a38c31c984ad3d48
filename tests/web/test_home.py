"""The home page sends each person to where their work is, or, with nothing awaiting them, to what there is
to see."""
import pytest
from django.urls import reverse

from escalations import services

pytestmark = pytest.mark.django_db


def test_a_holder_starts_at_awaiting_my_response(client, people, raise_escalation):
    raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["stoke-team-manager"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:awaiting")


def test_a_manager_with_nothing_to_answer_starts_at_the_team_s_escalations(client, people, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")  # held by the team manager
    client.force_login(people["bexley-service-manager"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:team")


def test_someone_with_nothing_awaiting_them_starts_at_my_escalations(client, people):
    client.force_login(people["bexley-team-manager"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:mine")


def test_a_practitioner_starts_at_my_escalations(client, people, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-practitioner"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:mine")


def test_an_allocated_worker_starts_at_the_disputes_about_their_cases(client, people):
    from cases.models import Case
    from tests.factories import raise_for_test

    escalation = raise_for_test(people=people, username="stoke-crm", ladder_slug="stoke-crm")
    Case.objects.filter(pk=escalation.case_id).update(allocated_worker=people["stoke-social-worker"])
    services._participant_add(escalation, people["stoke-social-worker"], "allocated_worker")
    client.force_login(people["stoke-social-worker"])
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("escalations:on_my_cases")
    page = client.get(response["Location"]).content.decode()
    assert f'data-escalation="{escalation.pk}"' in page and f"#{escalation.pk}" in page


def test_a_psw_starts_at_the_overview(client, people):
    client.force_login(people["bexley-psw"])
    assert client.get(reverse("home"))["Location"] == reverse("oversight:psw_overview")


def test_the_qap_chair_starts_at_her_worklist(client, people):
    client.force_login(people["wiltshire-qap-chair"])
    assert client.get(reverse("home"))["Location"] == reverse("oversight:board_logged")


def test_a_board_member_starts_at_the_report(client, people):
    client.force_login(people["wiltshire-board-member"])
    assert client.get(reverse("home"))["Location"] == reverse("reports:themes")


def test_an_organisation_s_administrator_starts_at_the_administration_pages(client, people):
    client.force_login(people["bexley-org-admin"])
    assert client.get(reverse("home"))["Location"] == reverse("administration:home")
