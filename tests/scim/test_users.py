"""SCIM 2.0 provisioning as Entra ID sends it: real SCIM JSON through Django's test client."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.management import call_command
from knox.models import AuthToken

from escalations.models import Escalation
from organisations.models import Organisation, Role, User
from scim.models import ScimToken
from scim.services import scim_token_create
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def bexley():
    return Organisation.objects.get(slug="bexley")


@pytest.fixture
def key(bexley):
    return scim_token_create(organisation=bexley, name="Entra ID")[1]


@pytest.fixture
def scim(client, key):
    """scim("get", "/Users", body=None) -> the response, as Entra ID's provisioning service sends it."""

    def go(method, path, body=None, token=key):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = json.dumps(body) if body is not None else None
        kwargs = {"content_type": SCIM, "data": data} if data is not None else {}
        return getattr(client, method)(f"/scim/v2{path}", **kwargs, **headers)

    return go


ENTRA_CREATE = {
    "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "amara.osei",
    "userName": "amara.osei@bexley.example",
    "active": True,
    "displayName": "Amara Osei",
    "title": "Social Worker",
    "emails": [{"primary": True, "type": "work", "value": "amara.osei@bexley.example"}],
    "name": {"formatted": "Amara Osei", "familyName": "Osei", "givenName": "Amara"},
    "addresses": [{"type": "work", "formatted": "Civic Offices", "primary": False}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Children's Services"},
}


def is_scim_error(response, status, scim_type=None):
    body = response.json()
    assert response.status_code == status, body
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type
    return body


def test_entra_creates_a_member_of_staff_then_finds_them_by_username(scim, bexley):
    response = scim("post", "/Users", ENTRA_CREATE)
    assert response.status_code == 201, response.json()
    assert response["Content-Type"].startswith(SCIM)
    created = response.json()
    user = User.objects.get(username="amara.osei@bexley.example")
    assert (user.organisation, user.first_name, user.last_name, user.email, user.job_title, user.is_active) == (
        bexley, "Amara", "Osei", "amara.osei@bexley.example", "Social Worker", True)
    assert user.role == Role.PRACTITIONER and not user.has_usable_password()
    assert created["id"] == str(user.pk) and created["userName"] == user.username
    assert response["Location"].endswith(f"/scim/v2/Users/{user.pk}")
    found = scim("get", '/Users?filter=userName eq "Amara.Osei@bexley.example"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(user.pk)
    assert scim("get", f"/Users/{user.pk}").json()["emails"][0]["value"] == "amara.osei@bexley.example"


def test_a_username_already_in_use_answers_409_uniqueness(scim):
    assert scim("post", "/Users", ENTRA_CREATE).status_code == 201
    is_scim_error(scim("post", "/Users", {**ENTRA_CREATE, "userName": "AMARA.OSEI@bexley.example"}), 409, "uniqueness")


@pytest.mark.parametrize("body, scim_type", [
    ({"schemas": [USER], "name": {"givenName": "No"}}, "invalidValue"),  # no userName
    ({"schemas": [USER], "userName": 42}, "invalidValue"),
    ({"schemas": [USER], "userName": "x@bexley.example", "active": "perhaps"}, "invalidValue"),
    ({"schemas": [USER], "userName": "x" * 151}, "invalidValue"),
])
def test_bad_input_answers_the_scim_error_schema(scim, body, scim_type):
    is_scim_error(scim("post", "/Users", body), 400, scim_type)
    assert not User.objects.filter(username__startswith="x").exists()


def test_a_body_that_is_not_json_answers_invalid_syntax(client, key):
    response = client.post("/scim/v2/Users", data="{not json", content_type=SCIM, HTTP_AUTHORIZATION=f"Bearer {key}")
    is_scim_error(response, 400, "invalidSyntax")


def test_without_a_valid_token_nothing_is_answered(scim):
    body = is_scim_error(scim("get", "/Users", token=None), 401)
    assert "token" in body["detail"]
    is_scim_error(scim("get", "/Users", token="not-a-token"), 401)
    assert scim("get", "/Users", token=None)["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(scim, bexley, key):
    out = StringIO()
    call_command("scim_token", "bexley", "--revoke", stdout=out)
    assert "Revoked 1 token" in out.getvalue()
    is_scim_error(scim("get", "/Users"), 401)


def test_the_command_makes_a_token_shown_once_and_stores_only_its_hash(client, bexley):
    out = StringIO()
    call_command("scim_token", "bexley", "--name", "Entra ID", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    token = ScimToken.objects.get(name="Entra ID")
    assert key not in token.key_hash and len(token.key_hash) == 64
    response = client.get("/scim/v2/Users?count=1", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["itemsPerPage"] == 1


def test_an_organisations_client_sees_and_touches_only_its_own_staff(scim, people):
    listed = scim("get", "/Users?count=200").json()
    usernames = {r["userName"] for r in listed["Resources"]}
    assert "bexley-team-manager" in usernames and "stoke-team-manager" not in usernames
    assert all(u.startswith("bexley-") for u in usernames)
    stoke = people["stoke-team-manager"]
    is_scim_error(scim("get", f"/Users/{stoke.pk}"), 404)
    patch = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    is_scim_error(scim("patch", f"/Users/{stoke.pk}", patch), 404)
    stoke.refresh_from_db()
    assert stoke.is_active
    assert scim("get", '/Users?filter=userName eq "stoke-team-manager"').json()["totalResults"] == 0


def test_an_unsupported_filter_answers_invalid_filter(scim):
    is_scim_error(scim("get", '/Users?filter=displayName co "Grace"'), 400, "invalidFilter")


def test_patch_replaces_name_and_email_as_entra_sends_them(scim, people):
    tm = people["bexley-team-manager"]
    patch = {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "name.familyName", "value": "Mensah-Boateng"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "grace.mb@bexley.example"},
        {"op": "Add", "path": "title", "value": "Team Manager, Assessment"},
    ]}
    response = scim("patch", f"/Users/{tm.pk}", patch)
    assert response.status_code == 200, response.json()
    tm.refresh_from_db()
    assert (tm.last_name, tm.email, tm.job_title) == ("Mensah-Boateng", "grace.mb@bexley.example",
                                                     "Team Manager, Assessment")
    assert response.json()["name"]["familyName"] == "Mensah-Boateng"


def test_patch_sets_the_line_manager_from_the_enterprise_extension(scim, people):
    practitioner, sm = people["bexley-practitioner"], people["bexley-service-manager"]
    patch = {"schemas": [PATCH], "Operations": [{
        "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": {"value": str(sm.pk)}}]}
    assert scim("patch", f"/Users/{practitioner.pk}", patch).status_code == 200
    practitioner.refresh_from_db()
    assert practitioner.line_manager == sm
    loop = {"schemas": [PATCH], "Operations": [{
        "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": str(practitioner.pk)}]}
    is_scim_error(scim("patch", f"/Users/{sm.pk}", loop), 400, "invalidValue")


def test_an_unknown_patch_operation_answers_invalid_syntax(scim, people):
    tm = people["bexley-team-manager"]
    body = is_scim_error(scim("patch", f"/Users/{tm.pk}", {"schemas": [PATCH], "Operations": [
        {"op": "Move", "path": "title", "value": "x"}]}), 400, "invalidSyntax")
    assert "Move" in body["detail"]


# --- deactivation -----------------------------------------------------------------------------------
@pytest.fixture
def held(raise_escalation, travel, people):
    """The team manager holds a live stage, is signed in on the web and has an API token."""
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.holder == people["bexley-team-manager"]
    return esc


def test_deactivation_ends_sessions_and_tokens_at_once_and_passes_the_stages_on(scim, held, people):
    from django.test import Client

    tm = people["bexley-team-manager"]
    browser = Client()
    browser.force_login(tm)
    assert browser.get("/escalations/awaiting/").status_code == 200
    token, key = AuthToken.objects.create(user=tm)
    patch = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    response = scim("patch", f"/Users/{tm.pk}", patch)
    assert response.status_code == 200 and response.json()["active"] is False
    tm.refresh_from_db()
    assert not tm.is_active
    assert not AuthToken.objects.filter(pk=token.pk).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(tm.pk)]
    assert browser.get("/escalations/awaiting/").status_code == 302  # signed out
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code in (401, 403)
    esc = Escalation.objects.get(pk=held.pk)
    # Bexley's only team manager has gone: the stage passes to their line manager.
    assert esc.holder == people["bexley-service-manager"]
    [entry] = esc.timeline.filter(action="hand_over")
    assert entry.actor is None and entry.params["from"] == "bexley-team-manager"
    assert "has left" in entry.note


def test_delete_deactivates_and_keeps_the_record(scim, held, people):
    tm = people["bexley-team-manager"]
    assert scim("delete", f"/Users/{tm.pk}").status_code == 204
    tm.refresh_from_db()
    assert not tm.is_active
    assert scim("get", f"/Users/{tm.pk}").json()["active"] is False
    assert Escalation.objects.get(pk=held.pk).holder == people["bexley-service-manager"]


def test_put_with_active_false_deactivates_and_true_restores(scim, people):
    sw = people["bexley-practitioner"]
    resource = {"schemas": [USER], "userName": sw.username, "name": {"givenName": "Sam", "familyName": "Whitfield"},
                "active": False}
    assert scim("put", f"/Users/{sw.pk}", resource).status_code == 200
    sw.refresh_from_db()
    assert not sw.is_active and sw.email == ""
    assert scim("put", f"/Users/{sw.pk}", {**resource, "active": True}).json()["active"] is True


def test_a_second_deactivation_changes_nothing_more(scim, held, people):
    tm = people["bexley-team-manager"]
    patch = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    scim("patch", f"/Users/{tm.pk}", patch)
    scim("patch", f"/Users/{tm.pk}", patch)
    assert Escalation.objects.get(pk=held.pk).timeline.filter(action="hand_over").count() == 1


# --- discovery --------------------------------------------------------------------------------------
def test_the_discovery_endpoints_describe_what_is_supported(scim):
    config = scim("get", "/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    schemas = scim("get", "/Schemas").json()
    assert USER in {s["id"] for s in schemas["Resources"]}
    types = scim("get", "/ResourceTypes").json()
    assert types["Resources"][0]["endpoint"] == "/Users"
    is_scim_error(scim("get", "/Groups"), 404)
