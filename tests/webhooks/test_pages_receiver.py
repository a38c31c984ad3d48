"""Done when (issue 16): an endpoint configured on the administrator's pages receives the next event, signed with
the secret the page showed once, at a real receiver on loopback that verifies it with ``standardwebhooks``; it
keeps verifying through a rotation, and a delivery sent again arrives again under the same event id."""
import re

import pytest
from django.urls import reverse

from escalations import services as escalations
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def test_an_endpoint_added_on_the_pages_receives_events_through_a_rotation_and_a_replay(
        client, people, receiver, raise_escalation):
    client.force_login(people["bexley-org-admin"])
    added = client.post(reverse("administration:webhook_add"), {
        "name": "Example receiver", "url": receiver.url, "kinds": ["escalation.raise", "escalation.note"],
    })
    endpoint = Endpoint.objects.get()
    receiver.secrets = SECRET.findall(added.content.decode())  # the receiver is given the secret shown once
    assert len(receiver.secrets) == 1

    raise_escalation("bexley-practitioner", "bexley-internal")  # the endpoint is still off: nothing is queued
    assert receiver.requests == [] and not Delivery.objects.exists()

    client.post(reverse("administration:webhook_switch", args=[endpoint.pk]), {"active": "on"})
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    receiver.wait_idle()
    assert [event["type"] for event in receiver.accepted] == ["escalation.raise"]
    assert receiver.accepted[0]["data"]["escalation"]["id"] == escalation.pk
    log = client.get(reverse("administration:webhook_deliveries", args=[endpoint.pk])).content.decode()
    assert "Delivered" in log and "HTTP 200" in log and receiver.accepted[0]["id"] in log

    rotated = client.post(reverse("administration:webhook_rotate", args=[endpoint.pk]))
    new_secret = SECRET.findall(rotated.content.decode())
    escalations.escalation_add_note(escalation=escalation, actor=people["bexley-practitioner"], note="Phoned.")
    receiver.wait_idle()  # the receiver still knows only the old secret: both signatures go for 24 hours
    receiver.secrets = new_secret  # it changes over
    escalations.escalation_add_note(escalation=escalation, actor=people["bexley-practitioner"], note="Met.")
    receiver.wait_idle()
    assert [event["type"] for event in receiver.accepted] == ["escalation.raise", "escalation.note",
                                                             "escalation.note"]
    assert receiver.refused == []

    first = Delivery.objects.order_by("pk").first()
    client.post(reverse("administration:webhook_delivery_replay", args=[first.pk]))
    receiver.wait_idle()
    assert receiver.duplicates == [first.event.event_id]  # the same event id: the receiver tells the repeat
    first.refresh_from_db()
    assert first.status == Delivery.Status.DELIVERED and first.tries.count() == 2
