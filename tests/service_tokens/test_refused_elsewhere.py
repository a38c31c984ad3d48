"""A service token opens only the endpoints of its scopes. Everywhere else, on every URL pattern the resolver
knows (the API's other endpoints, the pages, SCIM, the Django admin), the request is answered exactly as one
without any credentials: the token is nobody there, and no rule written for a person lets it through."""
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# The endpoints a service token may call (with their scopes: test_api.py).
SCOPED = {"api/v1/cases/", "api/v1/escalations/", "api/v1/escalations/<int:id>/"}


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _path(route: str) -> str:
    """A path the pattern answers: 1 for a number, x for anything else; a regular expression its own way."""
    if "^" in route or "(?P" in route:
        return "/" + re.sub(r"\^.*$|\(\?P.*$", "", route) + "no-such-thing/"
    return "/" + re.sub(r"<int:[^>]+>", "1", re.sub(r"<(?!int:)[^>]+>", "x", route))


def routes() -> list[str]:
    return sorted(set(_walk(get_resolver())) - SCOPED)


PUBLIC = ("api/schema/", "api/docs/", "api/redoc/", "api/v1/auth/token/")  # the same for everyone


def test_the_walk_finds_the_api_the_pages_and_scim():
    assert {"api/v1/me/", "api/v1/notifications/", "escalations/mine/", "administration/tokens/",
            "scim/v2/Users"} <= set(routes())


@pytest.mark.parametrize("method", ["get", "post"])
def test_everywhere_else_a_token_is_answered_as_no_credentials_are(make_token, method, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    _, key = make_token("bexley")  # every scope
    differs, let_through = [], []
    for route in routes():
        path = _path(route)
        nobody = getattr(Client(), method)(path)
        token = getattr(Client(HTTP_AUTHORIZATION=f"Bearer {key}"), method)(path)
        if token.status_code != nobody.status_code:
            differs.append(f"{method.upper()} {path}: {token.status_code} with the token, {nobody.status_code} without")
        public = route.startswith(PUBLIC)
        if route.startswith("api/") and not public and token.status_code not in (401, 403, 404, 405):
            let_through.append(f"{method.upper()} {path}: {token.status_code}")
    assert not differs, "\n".join(differs)
    assert not let_through, "\n".join(let_through)


def test_on_the_api_s_other_endpoints_it_is_401_naming_the_person_s_token_scheme(make_token, bearer):
    client = bearer(make_token("bexley")[1])
    for path in ("/api/v1/me/", "/api/v1/notifications/", "/api/v1/ladders/", "/api/v1/access-log/",
                 "/api/v1/administration/audit/", "/api/v1/reports/themes/"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == "Token"
    assert client.post("/api/v1/escalations/1/respond/", {"decision": "agree"}).status_code == 401


def test_a_signed_in_person_s_pages_are_theirs_whatever_token_the_request_carries(make_token, people):
    _, key = make_token("bexley")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("escalations:mine"))["Location"].startswith(reverse("login"))
    client.force_login(people["bexley-practitioner"])
    assert client.get(reverse("escalations:mine")).status_code == 200
    assert client.get(reverse("administration:tokens")).status_code == 403  # still the practitioner


def test_a_service_token_is_no_scim_token_and_a_scim_token_no_service_token(make_token, people):
    from scim.services import scim_token_create

    _, key = make_token("bexley")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/scim/v2/Users").status_code == 401
    _, scim_key = scim_token_create(organisation=people["bexley-practitioner"].organisation, name="Entra ID")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {scim_key}").get("/api/v1/escalations/").status_code == 401
