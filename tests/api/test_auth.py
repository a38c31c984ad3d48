"""Tokens for scripts, who-am-I, and the throttles."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


def test_a_demo_user_exchanges_username_and_password_for_a_token_that_signs_requests_in(people):
    anonymous = APIClient()
    response = anonymous.post(TOKEN, {"username": "bexley-practitioner", "password": "demo-pass-2026"})
    assert response.status_code == 200
    token = response.json()["token"]

    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert script.get("/api/v1/me/").json()["username"] == "bexley-practitioner"


def test_each_request_issues_a_new_token_and_each_signs_requests_in(people):
    client = APIClient()
    body = {"username": "stoke-crm", "password": "demo-pass-2026"}
    first, second = client.post(TOKEN, body).json()["token"], client.post(TOKEN, body).json()["token"]
    assert first != second
    for token in (first, second):
        script = APIClient()
        script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert script.get("/api/v1/me/").json()["username"] == "stoke-crm"


def test_a_wrong_password_is_refused_with_the_reason_and_no_token(people):
    response = APIClient().post(TOKEN, {"username": "bexley-practitioner", "password": "wrong"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to sign in with that username and password."]}


def test_a_token_request_names_missing_and_mistyped_fields(people):
    response = APIClient().post(TOKEN, {"username": 42, "passwd": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password", "passwd"}
    assert response.json()["passwd"] == ["Unknown field."]


def test_an_inactive_user_gets_no_token(people):
    people["bexley-director"].is_active = False
    people["bexley-director"].save()
    response = APIClient().post(TOKEN, {"username": "bexley-director", "password": "demo-pass-2026"})
    assert response.status_code == 400


def test_the_token_endpoint_is_throttled_at_the_token_rate(people, monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "token", "3/minute")
    client = APIClient()
    codes = [client.post(TOKEN, {"username": "bexley-practitioner", "password": "wrong"}).status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert "detail" in client.post(TOKEN, {"username": "x", "password": "y"}).json()


def test_the_other_endpoints_are_throttled_per_user_at_the_user_rate(api, monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "user", "2/minute")
    first, second = api("bexley-practitioner"), api("bexley-team-manager")
    assert [first.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/me/").status_code == 200


def test_me_names_the_organisation_roles_and_no_partnership_for_staff(api):
    assert api("bexley-psw").get("/api/v1/me/").json() == {
        "username": "bexley-psw", "display_name": "Helen Carter", "organisation": "bexley", "roles": ["psw"],
        "partnership": None,
    }


def test_me_names_the_partnership_and_no_organisation_for_a_board_member(api):
    me = api("wiltshire-board-member").get("/api/v1/me/").json()
    assert me["organisation"] is None and me["partnership"] == "wiltshire-partnership"
    assert me["roles"] == ["board_member"]


def test_without_credentials_every_endpoint_refuses(people):
    client = APIClient()
    for path in ("/api/v1/me/", "/api/v1/ladders/", "/api/v1/escalations/", "/api/v1/notifications/"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == "Token"
        assert set(response.json()) == {"detail"}


def test_a_bad_token_is_refused(people):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/me/").status_code == 401
