"""Hole 8: what an anonymous or signed-in client sends cannot cause a server error, and every path
under /api/ answers JSON: 400 for a body too deep or too long, 401 without credentials (with
``WWW-Authenticate``), 403 for a refused CSRF check, 404 for an unknown path, 405 for a wrong method.
"""
import json

import pytest
from django.test import Client

from core.api import csrf_failure
from core.parsers import MAX_BODY_BYTES, MAX_JSON_DEPTH
from organisations.tokens import token_issue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

# The attack as found: a body of 5,000 nested arrays (and objects), sent to each kind of endpoint.
DEEP_ARRAYS = "[" * 5000 + "]" * 5000
DEEP_OBJECTS = '{"a":' * 5000 + "1" + "}" * 5000
DEEP_BODIES = [DEEP_ARRAYS, DEEP_OBJECTS, '{"reason": ' + DEEP_ARRAYS + "}"]
POST_PATHS = ["/api/v1/auth/token/", "/api/v1/escalations/", "/api/v1/cases/", "/api/v1/escalations/{id}/withdraw/",
              "/api/v1/absences/", "/api/v1/escalations/{id}/start-mediation/"]


def client(kind: str, people) -> Client:
    """A client that answers a server error as a response (as a real server does), not as an exception."""
    browser = Client(raise_request_exception=False)
    if kind == "token":
        token = token_issue(user=people["bexley-practitioner"])
        browser.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    elif kind == "session":
        browser.force_login(people["bexley-practitioner"])
    return browser


def assert_json(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


@pytest.mark.parametrize("kind", ["anonymous", "token", "session"])
@pytest.mark.parametrize("path", POST_PATHS)
def test_a_body_nested_five_thousand_deep_is_refused_with_a_400(kind, path, people, raise_escalation):
    path = path.format(id=raise_escalation("bexley-practitioner", "bexley-internal").pk)
    browser = client(kind, people)
    for body in DEEP_BODIES:
        response = browser.post(path, body, content_type="application/json")
        if kind == "anonymous" and path != "/api/v1/auth/token/":
            # Credentials are checked first: nothing of the body is read without them.
            assert_json(response, 401)
            continue
        assert assert_json(response, 400) == {
            "non_field_errors": [f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."]}


def test_a_body_just_within_the_depth_is_read_and_one_level_more_is_refused(people):
    browser = client("token", people)
    within = json.dumps({"reference": "X-1", "display_name": [[[]]]})
    nested = {"reference": "X-1"}
    node: dict = nested
    for _ in range(MAX_JSON_DEPTH - 1):
        node["deeper"] = {}
        node = node["deeper"]
    # Read, then refused by the serializer for the field it names.
    assert "display_name" in assert_json(browser.post("/api/v1/cases/", within, content_type="application/json"), 400)
    assert "deeper" in assert_json(browser.post("/api/v1/cases/", json.dumps(nested), content_type="application/json"),
                                   400)
    node["deeper"] = {}
    assert assert_json(browser.post("/api/v1/cases/", json.dumps(nested), content_type="application/json"), 400) == {
        "non_field_errors": [f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."]}


@pytest.mark.parametrize("kind", ["anonymous", "token"])
def test_a_body_larger_than_the_limit_is_refused_with_a_400(kind, people):
    browser = client(kind, people)
    body = json.dumps({"username": "x" * MAX_BODY_BYTES, "password": "y"})
    body_error = assert_json(browser.post("/api/v1/auth/token/", body, content_type="application/json"), 400)
    assert body_error == {"non_field_errors": ["The request body is larger than 2 MiB."]}
    if kind == "token":
        assert assert_json(browser.post("/api/v1/cases/", body, content_type="application/json"), 400) == body_error


def test_numbers_the_decoder_refuses_and_bad_encodings_are_a_400_not_a_500(people):
    browser = client("token", people)
    for body in (b'{"reference": ' + b"9" * 5000 + b"}", b'{"reference": "\xff\xfe"}', b'{"reference": NaN}',
                 b"[", b""):
        response = browser.post("/api/v1/cases/", body, content_type="application/json")
        assert response.status_code == 400, (body[:20], response.content)
        assert response["Content-Type"] == "application/json"


# --- JSON answers, never HTML -------------------------------------------------------------------------
@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/me/"), ("get", "/api/v1/escalations/"), ("post", "/api/v1/escalations/"),
    ("get", "/api/v1/escalations/1/"), ("post", "/api/v1/escalations/1/respond/"), ("get", "/api/v1/cases/"),
    ("get", "/api/v1/notifications/"), ("get", "/api/v1/administration/audit/"),
])
def test_without_credentials_the_api_answers_401_naming_the_token_scheme(method, path):
    response = getattr(Client(), method)(path, content_type="application/json")
    assert assert_json(response, 401) == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_answers_401_and_a_signed_in_person_not_allowed_403(people):
    response = Client(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/v1/me/")
    assert assert_json(response, 401) == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"
    # Signed in but not allowed (a partner agency's practitioner may not import staff): 403, no header.
    response = client("token", people).post("/api/v1/administration/people/import/", {"csv": "a"},
                                            content_type="application/json")
    assert "detail" in assert_json(response, 403)
    assert not response.has_header("WWW-Authenticate")


def test_a_signed_in_page_session_without_the_csrf_token_is_refused_in_json(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["bexley-practitioner"])
    response = browser.post("/api/v1/cases/", {"reference": "CSRF-1"}, content_type="application/json")
    assert assert_json(response, 403) == {"detail": "CSRF Failed: CSRF cookie not set."}
    from cases.models import Case

    assert not Case.objects.filter(reference="CSRF-1").exists()
    # With the token (as the pages send it), the same request goes through.
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    response = browser.post("/api/v1/cases/", {"reference": "CSRF-1"}, content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


def test_the_csrf_failure_view_answers_json_under_api_and_the_page_elsewhere(rf):
    api = csrf_failure(rf.post("/api/v1/anything/"), reason="CSRF token missing.")
    assert (api.status_code, api["Content-Type"]) == (403, "application/json")
    assert json.loads(api.content) == {"detail": "CSRF Failed: CSRF token missing."}
    page = csrf_failure(rf.post("/escalations/1/respond/"), reason="CSRF token missing.")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("kind", ["anonymous", "token", "session"])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "head", "options"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/escalations/abc/", "/api/v2/escalations/",
                                  "/api/", "/api/v1/escalations/1/no-such-action/"])
def test_an_unknown_api_path_is_a_json_404_for_every_method(kind, method, path, people):
    browser = client(kind, people)
    if kind == "session":
        browser = Client(enforce_csrf_checks=True)  # no CSRF token: still a 404, not a CSRF page
        browser.force_login(people["bexley-practitioner"])
    response = getattr(browser, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    if method != "head":
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method,path", [
    ("delete", "/api/v1/escalations/"), ("put", "/api/v1/me/"), ("get", "/api/v1/auth/token/"),
    ("get", "/api/v1/escalations/1/respond/"), ("patch", "/api/v1/cases/"),
])
def test_a_method_an_endpoint_does_not_take_is_a_json_405(method, path, people):
    response = getattr(client("token", people), method)(path)
    assert assert_json(response, 405)["detail"] == f'Method "{method.upper()}" not allowed.'
    assert "Allow" in response


@pytest.mark.parametrize("content_type", ["application/scim+json", "application/json"])
def test_a_scim_client_sending_a_body_nested_five_thousand_deep_gets_a_400(content_type):
    """The provisioning endpoints read bodies with the same bounded parser."""
    from organisations.models import Organisation
    from scim.services import scim_token_create

    key = scim_token_create(organisation=Organisation.objects.get(slug="bexley"), name="Entra ID")[1]
    response = Client(raise_request_exception=False).post(
        "/scim/v2/Users", DEEP_ARRAYS, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400, response.content[:300]
    assert f"nested more than {MAX_JSON_DEPTH} levels deep" in response.content.decode()
