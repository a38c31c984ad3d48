"""Fixtures of the webhook tests: an organisation's endpoint pointed at a real receiver on loopback."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.SITE_URL = "https://tracker.example.org"
    # A receiver that has not answered in this long has failed this try (production: 10 s).
    settings.WEBHOOK_TIMEOUT_SECONDS = 1


def endpoint_create(organisation: str, url: str, *, name: str = "Mosaic", kinds: list[str] | None = None,
                    include_display_name: bool = False, secrets: list[str] | None = None,
                    expires: list[dt.datetime | None] | None = None):
    """An active endpoint of the organisation (by slug) with its secrets (a fresh one if none are given)."""
    from organisations.models import Organisation
    from webhooks.models import Endpoint, EndpointSecret
    from webhooks.signing import secret_generate

    endpoint = Endpoint.objects.create(organisation=Organisation.objects.get(slug=organisation), name=name, url=url,
                                       kinds=kinds or [], include_display_name=include_display_name)
    secrets = secrets or [secret_generate()]
    for secret, expires_at in zip(secrets, expires or [None] * len(secrets), strict=True):
        EndpointSecret.objects.create(endpoint=endpoint, secret=secret, expires_at=expires_at)
    return endpoint


@pytest.fixture
def receiver():
    """A started receiver with a fresh secret (``receiver.secrets[0]``); stopped after the test."""
    from webhooks.signing import secret_generate

    running = Receiver(secrets=[secret_generate()]).start()
    yield running
    running.stop()


@pytest.fixture
def bexley_endpoint(people, receiver):
    """Bexley's case-management system, taking every event, signed with the receiver's secret."""
    return endpoint_create("bexley", receiver.url, secrets=list(receiver.secrets))
