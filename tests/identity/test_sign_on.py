"""Single sign-on end to end, against a real OpenID Connect provider (oidc-provider on loopback): the
authorization-code flow with PKCE through the provider's own login page, the ID token checked here."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from identity.models import SignOn
from organisations.models import Organisation, Role, User
from tests.identity.conftest import FOREIGN_CLIENT_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def bexley_sign_on(people, oidc_provider) -> SignOn:
    return SignOn.objects.create(
        organisation=Organisation.objects.get(slug="bexley"), issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id, client_secret=oidc_provider.client_secret, claim="email",
    )


def _signed_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_the_sign_in_page_offers_the_organisations_single_sign_on(client, bexley_sign_on):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with London Borough of Bexley" in page
    assert reverse("sign_in_organisation", args=["bexley"]) in page


def test_a_person_signs_in_through_their_organisations_provider(browser, bexley_sign_on, people):
    start = browser.client.get(reverse("sign_in_organisation", args=["bexley"]))
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(bexley_sign_on.issuer)
    assert query["client_id"] == ["escalation-tracker"] and query["code_challenge_method"] == ["S256"]

    response = browser.client.get(browser.through_provider(start["Location"], login="practitioner"))

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert any('name="password"' in page for page in browser.pages)  # the provider's own login page
    assert _signed_in_as(browser.client) == people["bexley-practitioner"]
    assert browser.client.session["_auth_user_backend"] == "identity.backends.OrganisationOIDCBackend"
    page = browser.client.get(reverse("escalations:mine"))
    assert page.status_code == 200 and page.context["user"] == people["bexley-practitioner"]


def test_a_wrong_password_at_the_provider_signs_nobody_in(browser, bexley_sign_on):
    start = browser.client.get(reverse("sign_in_organisation", args=["bexley"]))
    response = browser.web.get(start["Location"], timeout=10)  # the provider's login page
    login = browser.web.post(response.url.rstrip("/") + "/login", data={"login": "practitioner", "password": "no"},
                             timeout=10)
    assert "The login or the password is wrong." in login.text
    assert _signed_in_as(browser.client) is None


def test_an_unknown_person_is_refused_with_a_clear_page(browser, bexley_sign_on):
    before = User.objects.count()
    response = browser.sign_in("bexley", "newcomer")
    page = response.content.decode()
    assert response.status_code == 403
    assert "You do not have an account" in page
    assert "new.starter@bexley.example.org" in page and "administrator" in page
    assert _signed_in_as(browser.client) is None and User.objects.count() == before


def test_a_first_sign_in_makes_the_account_where_the_organisation_allows_it(browser, bexley_sign_on):
    bexley_sign_on.provisioning, bexley_sign_on.default_role = True, Role.SOCIAL_WORKER
    bexley_sign_on.save()
    response = browser.sign_in("bexley", "newcomer")
    assert response.status_code == 302
    person = User.objects.get(email="new.starter@bexley.example.org")
    assert (person.organisation.slug, person.role, person.get_full_name(), person.has_usable_password()) == (
        "bexley", Role.SOCIAL_WORKER, "Nia Starter", False)
    assert _signed_in_as(browser.client) == person


def test_a_token_issued_for_another_application_is_refused(browser, bexley_sign_on):
    """The provider answers with an ID token whose audience is not this organisation's client id."""
    bexley_sign_on.client_id = FOREIGN_CLIENT_ID
    bexley_sign_on.save()
    response = browser.sign_in("bexley", "practitioner")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Sign-in could not be checked" in page and "issued for another application" in page
    assert _signed_in_as(browser.client) is None


def test_a_person_whose_account_is_switched_off_cannot_sign_in(browser, bexley_sign_on, people):
    User.objects.filter(username="bexley-practitioner").update(is_active=False)
    response = browser.sign_in("bexley", "practitioner")
    assert response.status_code == 403 and "Your account is switched off" in response.content.decode()
    assert _signed_in_as(browser.client) is None


def test_a_person_switched_off_is_refused_on_their_next_request(browser, bexley_sign_on, people):
    browser.sign_in("bexley", "practitioner")
    assert browser.client.get(reverse("escalations:mine")).status_code == 200
    api = APIClient()
    api.cookies = browser.client.cookies
    assert api.get("/api/v1/me/").json()["username"] == "bexley-practitioner"

    User.objects.filter(username="bexley-practitioner").update(is_active=False)  # the live session is kept

    response = browser.client.get(reverse("escalations:mine"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert api.get("/api/v1/me/").status_code in (401, 403)


def test_sign_out_ends_the_session_here_and_at_the_provider(browser, bexley_sign_on, oidc_provider):
    browser.sign_in("bexley", "practitioner")
    id_token = browser.client.session["identity_id_token"]

    response = browser.client.post(reverse("logout"))

    assert response.status_code == 302
    end = urlsplit(response["Location"])
    query = parse_qs(end.query)
    assert f"{end.scheme}://{end.netloc}{end.path}" == oidc_provider.issuer + "/session/end"
    assert query["id_token_hint"] == [id_token] and query["client_id"] == ["escalation-tracker"]
    assert browser.through_provider(response["Location"]) == reverse("login")  # back on the sign-in page
    assert _signed_in_as(browser.client) is None
    assert browser.client.get(reverse("escalations:mine")).status_code == 302
    # The provider's session has ended too: signing in again asks for the password again.
    browser.pages.clear()
    browser.sign_in("bexley", "practitioner")
    assert any('name="password"' in page for page in browser.pages)


def test_a_password_sign_out_goes_to_the_sign_in_page(client, people):
    client.force_login(people["bexley-practitioner"])
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert _signed_in_as(client) is None


def test_the_page_asked_for_is_shown_after_signing_in(browser, bexley_sign_on, people):
    start = browser.client.get(reverse("sign_in_organisation", args=["bexley"]), {"next": "/escalations/mine/"})
    response = browser.client.get(browser.through_provider(start["Location"], login="practitioner"))
    assert response.status_code == 302 and response["Location"] == "/escalations/mine/"


def test_a_next_address_on_another_site_is_ignored(browser, bexley_sign_on, people):
    start = browser.client.get(reverse("sign_in_organisation", args=["bexley"]), {"next": "https://evil.example/"})
    response = browser.client.get(browser.through_provider(start["Location"], login="practitioner"))
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_the_organisation_chooses_the_claim_that_names_the_person(browser, bexley_sign_on, people):
    bexley_sign_on.claim, bexley_sign_on.matches = "preferred_username", "username"
    bexley_sign_on.save()
    assert browser.sign_in("bexley", "manager").status_code == 302
    assert _signed_in_as(browser.client) == people["bexley-team-manager"]


def test_an_email_address_the_provider_has_not_verified_is_refused(browser, bexley_sign_on):
    response = browser.sign_in("bexley", "unverified")
    assert response.status_code == 403 and "not verified" in response.content.decode()
    assert _signed_in_as(browser.client) is None


def test_the_same_address_in_another_organisation_is_someone_else(browser, people, oidc_provider):
    """Stoke's provider vouches for an address that only a Bexley account has: nobody is signed in."""
    SignOn.objects.create(organisation=Organisation.objects.get(slug="stoke"), issuer=oidc_provider.issuer,
                          client_id=oidc_provider.client_id, client_secret=oidc_provider.client_secret)
    response = browser.sign_in("stoke", "practitioner")
    assert response.status_code == 403 and "You do not have an account" in response.content.decode()
    assert _signed_in_as(browser.client) is None


def test_a_person_signed_in_through_the_provider_is_switched_off_by_scim_at_once(browser, bexley_sign_on, people):
    """Sign in with the organisation's provider, then the organisation's SCIM client deactivates the person:
    the live session ends on the next request (the stages a deactivated holder passes on: tests/scim)."""
    from scim.services import scim_token_create

    browser.sign_in("bexley", "practitioner")
    assert browser.client.get(reverse("escalations:mine")).status_code == 200

    key = scim_token_create(organisation=Organisation.objects.get(slug="bexley"), name="Entra ID")[1]
    person = people["bexley-practitioner"]
    response = browser.client.generic(
        "PATCH", f"/scim/v2/Users/{person.pk}", content_type="application/scim+json",
        data='{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], '
             '"Operations": [{"op": "replace", "path": "active", "value": false}]}',
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200 and response.json()["active"] is False

    page = browser.client.get(reverse("escalations:mine"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
    assert _signed_in_as(browser.client) is None
    assert not User.objects.get(pk=person.pk).is_active
    again = browser.sign_in("bexley", "practitioner")  # the provider's sign-in does not let them back
    assert again.status_code == 403 and "Your account is switched off" in again.content.decode()
    assert _signed_in_as(browser.client) is None
