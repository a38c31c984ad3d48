"""Fixtures for the REST API tests: a client signed in as a demo user, and JSON helpers."""
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Each test starts with empty throttle counters (they live in the cache)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(people):
    """api("bexley-practitioner") -> an APIClient signed in as that demo user; api() -> signed out."""

    def as_(username: str | None = None) -> APIClient:
        client = APIClient()
        if username is not None:
            from organisations.models import User

            client.force_authenticate(people.get(username) or User.objects.get(username=username))
        return client

    return as_


RAISE_BODY = {
    "risk_level": "standard",
    "decision_challenged": "Case closed to early help.",
    "concern": "Risk not reassessed.",
    "basis": "professional_judgement",
    "desired_outcome": "Reassess before closing.",
}


@pytest.fixture
def raise_via_api(api):
    """raise_via_api("bexley-practitioner", "bexley-internal", reference=..., **fields) -> the 201 body."""
    import itertools

    refs = itertools.count(1)

    def go(username: str, ladder: str, *, reference: str | None = None, **fields) -> dict:
        from policies.models import Ladder

        client = api(username)
        reference = reference or f"API-{next(refs):04d}"
        assert client.post("/api/v1/cases/", {"reference": reference}).status_code in (200, 201)
        body = {**RAISE_BODY, "case": reference, "ladder": ladder,
                "category": Ladder.objects.current().get(slug=ladder).categories.first().slug, **fields}
        response = client.post("/api/v1/escalations/", body)
        assert response.status_code == 201, response.content
        return response.json()

    return go


def results(response) -> list:
    body = response.json()
    return body["results"]
