"""An administrator cannot make the server call into the network it runs in (server-side request forgery):
with ``WEBHOOKS_ALLOW_PRIVATE_NETWORK`` off, as in production, an endpoint on this machine, a private
network or a link-local address (a cloud's metadata service) is refused when saved, and a name that
resolves inward is refused at each try, before any connection; nothing reaches the receiver."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.webhooks.conftest import endpoint_create
from webhooks import services
from webhooks.addresses import is_public_address, private_host
from webhooks.delivery import deliveries_send
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_rule(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORK = False


@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("::1", False), ("10.1.2.3", False), ("172.16.0.9", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("fd00::1", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("::ffff:127.0.0.1", False), ("8.8.8.8", True), ("2a00:1450:4009:81d::200e", True), ("not an address", False),
])
def test_an_address_is_public_only_on_the_internet(address, public):
    assert is_public_address(address) is public


def test_a_host_written_as_an_inward_address_or_localhost_is_private_and_a_name_is_judged_when_sent():
    assert private_host("localhost") and private_host("app.localhost") and private_host("[::1]")
    assert private_host("169.254.169.254") and not private_host("8.8.8.8")
    assert not private_host("mosaic.example.org")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8765/events", "https://localhost/hooks", "https://10.0.0.5/hooks",
    "https://169.254.169.254/latest/meta-data/", "https://[::1]:8443/hooks", "https://192.168.0.20/hooks",
])
def test_an_inward_url_is_refused_when_saved_and_nothing_is_added(people, production_rule, url):
    before = Endpoint.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(actor=people["bexley-org-admin"], name="Inward", url=url)
    assert "address on the internet" in refused.value.message_dict["url"][0]
    assert Endpoint.objects.count() == before


def test_an_internet_url_is_still_accepted(people, production_rule):
    endpoint, _secret = services.endpoint_create(actor=people["bexley-org-admin"], name="Mosaic",
                                                 url="https://mosaic.example.org/hooks")
    assert endpoint.url == "https://mosaic.example.org/hooks"


@pytest.mark.django_db(transaction=True)
def test_a_name_that_resolves_inward_is_refused_at_each_try_and_the_receiver_hears_nothing(
        people, raise_escalation, receiver, settings):
    # Saved while the rule allowed it (or a name that later pointed inward): "localhost" resolves to loopback.
    endpoint = endpoint_create("bexley", receiver.url.replace("127.0.0.1", "localhost"),
                               secrets=list(receiver.secrets))
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORK = False
    raise_escalation("bexley-practitioner", "bexley-internal")
    deliveries_send()
    receiver.wait_idle()
    assert receiver.accepted == [] and receiver.refused == []
    attempt = DeliveryAttempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.status_code is None and attempt.error.startswith("Refused: localhost is on this server's own")
    assert Delivery.objects.get(endpoint=endpoint).status == Delivery.Status.PENDING  # tried again later

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORK = True  # the local demo's rule: the same delivery now arrives
    Delivery.objects.filter(endpoint=endpoint).update(next_attempt_at=attempt.at)
    deliveries_send()
    receiver.wait_idle()
    assert [p["type"] for p in receiver.accepted] == ["escalation.raise"]
