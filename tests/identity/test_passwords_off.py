"""An organisation that turns passwords off: its people are refused at the password sign-in, the token
endpoint and the admin's sign-in, with words that name the way in they use instead; nobody else is."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from identity.models import SignOn
from organisations.models import Organisation

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2026"
BEXLEY = "London Borough of Bexley Children's Social Care"
REFUSAL = f"{BEXLEY} has turned passwords off: sign in with “Sign in with {BEXLEY}” on the sign-in page."


@pytest.fixture
def bexley_without_passwords(people) -> SignOn:
    return SignOn.objects.create(
        organisation=Organisation.objects.get(slug="bexley"), issuer="https://login.example.org/bexley/v2.0",
        client_id="escalation-tracker", client_secret="x", passwords_off=True,
    )


def test_the_sign_in_page_refuses_a_password_with_the_reason(client, bexley_without_passwords):
    response = client.post(reverse("login"), {"username": "bexley-practitioner", "password": DEMO_PASSWORD})
    page = response.content.decode()
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert escape(REFUSAL) in page
    assert 'href="#id_username"' in page  # the GOV.UK error summary points at the field


def test_the_same_words_whatever_the_password(client, bexley_without_passwords):
    response = client.post(reverse("login"), {"username": "bexley-practitioner", "password": "wrong"})
    assert escape(REFUSAL) in response.content.decode()


def test_the_token_endpoint_refuses_with_the_reason(bexley_without_passwords):
    response = APIClient().post("/api/v1/auth/token/",
                                {"username": "bexley-practitioner", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [REFUSAL]}


def test_the_admin_sign_in_refuses_them_too(client, bexley_without_passwords, people):
    people["bexley-psw"].is_staff = True
    people["bexley-psw"].save(update_fields=["is_staff"])
    response = client.post("/admin/login/", {"username": "bexley-psw", "password": DEMO_PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_other_organisations_still_sign_in_with_a_password(client, bexley_without_passwords):
    response = client.post(reverse("login"), {"username": "stoke-crm", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    token = APIClient().post("/api/v1/auth/token/", {"username": "stoke-crm", "password": DEMO_PASSWORD},
                             format="json")
    assert token.status_code == 200


def test_passwords_work_again_when_the_organisation_turns_them_back_on(client, bexley_without_passwords):
    bexley_without_passwords.passwords_off = False
    bexley_without_passwords.save()
    response = client.post(reverse("login"), {"username": "bexley-practitioner", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_an_unknown_username_gets_the_usual_words(client, bexley_without_passwords):
    response = client.post(reverse("login"), {"username": "nobody", "password": DEMO_PASSWORD})
    assert "Enter a correct username and password" in response.content.decode()


# --- the sign-on set-up and its refusals that need no provider ------------------------------------------
def test_a_callback_without_a_started_sign_in_is_refused(client, bexley_without_passwords):
    response = client.get(reverse("sign_in_callback"), {"code": "abc", "state": "never-issued"})
    assert response.status_code == 400 and "This sign-in has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unreachable_provider_is_explained(client, people):
    SignOn.objects.create(organisation=Organisation.objects.get(slug="stoke"), issuer="http://127.0.0.1:9",
                          client_id="escalation-tracker", client_secret="x")
    response = client.get(reverse("sign_in_organisation", args=["stoke"]))
    assert response.status_code == 502
    assert "Stoke-on-Trent" in response.content.decode() and "could not be reached" in response.content.decode()


def test_an_organisation_without_single_sign_on_has_no_button(client, bexley_without_passwords):
    page = client.get(reverse("login")).content.decode()
    assert f"Sign in with {escape(BEXLEY)}" in page and "Sign in with Stoke" not in page
    assert client.get(reverse("sign_in_organisation", args=["stoke"])).status_code == 404


@pytest.mark.parametrize("changes, field", [
    ({"provisioning": True, "default_role": ""}, "default_role"),
    ({"provisioning": True, "default_role": "org_admin"}, "default_role"),
    ({"enabled": False, "passwords_off": True}, "passwords_off"),
])
def test_a_set_up_that_would_lock_people_out_or_make_administrators_is_refused(people, changes, field):
    from django.core.exceptions import ValidationError

    sign_on = SignOn(organisation=Organisation.objects.get(slug="bexley"), issuer="https://login.example.org/x",
                     client_id="c", client_secret="s", **changes)
    with pytest.raises(ValidationError) as refused:
        sign_on.full_clean()
    assert field in refused.value.message_dict
