"""Service tokens of an organisation's case-management system: made through the real service, sent as
``Authorization: Bearer <key>`` by a client that has no session."""
import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from identity.models import Scope

ALL_SCOPES = tuple(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_token(people):
    """make_token("bexley", Scope.ESCALATIONS_READ, ...) -> (token, key); every scope when none is named."""
    from identity.service_tokens import service_token_create
    from organisations.models import Organisation

    def go(organisation: str = "bexley", *scopes: str, days: int = 30, name: str = "Mosaic"):
        return service_token_create(
            organisation=Organisation.objects.get(slug=organisation), name=name, scopes=list(scopes or ALL_SCOPES),
            last_day=timezone.localdate() + dt.timedelta(days=days), created_by=None)

    return go


@pytest.fixture
def bearer():
    """bearer(key) -> an API client that sends the key on every request, and nothing else."""

    def go(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return go


@pytest.fixture
def other_admin(people):
    from tests.factories import administrator_create

    return administrator_create(username="stoke-org-admin", organisation="stoke")
