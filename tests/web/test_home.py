"""The home page sends each person to where their work is."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_holder_starts_at_awaiting_my_response(client, people, raise_escalation):
    raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["stoke-team-manager"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:awaiting")


def test_a_manager_starts_at_awaiting_my_response(client, people):
    client.force_login(people["bexley-team-manager"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:awaiting")


def test_a_practitioner_starts_at_my_escalations(client, people):
    client.force_login(people["bexley-practitioner"])
    assert client.get(reverse("home"))["Location"] == reverse("escalations:mine")


def test_a_psw_starts_at_the_overview(client, people):
    client.force_login(people["bexley-psw"])
    assert client.get(reverse("home"))["Location"] == reverse("oversight:psw_overview")
