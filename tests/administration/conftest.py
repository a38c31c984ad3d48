"""The administrators of the administration tests: Bexley's (as in the demo) and the Wiltshire partnership's."""
import pytest

from tests.factories import administrator_create


@pytest.fixture
def org_admin(people):
    return administrator_create(username="bexley-org-admin", organisation="bexley")


@pytest.fixture
def partnership_admin(people):
    return administrator_create(username="wiltshire-partnership-admin", partnership="wiltshire-partnership")


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client
