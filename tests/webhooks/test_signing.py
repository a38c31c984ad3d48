"""Signed to the Standard Webhooks specification: the receiver's own verification (``standardwebhooks``) accepts
what the tracker sends and refuses a forgery or a replay; during a rotation either secret verifies."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from escalations import services
from tests.conftest import at
from tests.webhooks.conftest import endpoint_create
from tests.webhooks.receiver import Receiver, post_raw
from webhooks.delivery import deliveries_send
from webhooks.signing import secret_generate

pytestmark = pytest.mark.django_db

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


@pytest.fixture
def delivered(people, raise_escalation, travel, receiver, bexley_endpoint):
    """One event sent and accepted: the receiver holds the request exactly as it came."""
    travel(TUESDAY_10AM)
    raise_escalation("bexley-practitioner", "bexley-internal")
    deliveries_send()
    assert len(receiver.accepted) == 1
    return receiver.requests[0]


def test_each_request_carries_the_three_headers_of_the_specification(delivered, receiver):
    headers = delivered.headers
    assert headers["webhook-id"] == receiver.accepted[0]["id"]
    assert abs(int(headers["webhook-timestamp"]) - TUESDAY_10AM.timestamp()) < 60
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]+=*", headers["webhook-signature"])
    assert headers["content-type"] == "application/json"


def test_a_forged_body_is_refused(delivered, receiver):
    forged = delivered.body.replace(b'"open"', b'"resolved"')
    assert forged != delivered.body
    assert post_raw(receiver.url, forged, delivered.headers) == 401
    assert receiver.refused[-1].reason == "No matching signature found"


def test_a_request_signed_with_another_secret_is_refused(delivered, receiver):
    msg_id = "msg_forged"
    now = dt.datetime.now(dt.UTC)
    headers = {**delivered.headers, "webhook-id": msg_id,
               "webhook-signature": Webhook(secret_generate()).sign(msg_id, now, delivered.body.decode())}
    assert post_raw(receiver.url, delivered.body, headers) == 401
    assert len(receiver.accepted) == 1


def test_a_replayed_request_is_refused_once_its_timestamp_is_old(delivered, receiver, travel):
    # Within the five minutes the signature is good, and the receiver drops the repeat by its id...
    assert post_raw(receiver.url, delivered.body, delivered.headers) == 200
    assert receiver.duplicates == [delivered.event_id]
    # ...after them, the verification itself refuses it.
    travel(TUESDAY_10AM + dt.timedelta(minutes=6))
    assert post_raw(receiver.url, delivered.body, delivered.headers) == 401
    assert receiver.refused[-1].reason == "Message timestamp too old"
    assert len(receiver.accepted) == 1


def test_during_a_rotation_both_secrets_verify_and_an_expired_one_no_longer_does(people, raise_escalation, travel):
    travel(TUESDAY_10AM)
    old, new = secret_generate(), secret_generate()
    knows_old, knows_new = Receiver(secrets=[old]).start(), Receiver(secrets=[new]).start()
    try:
        endpoint_create("bexley", knows_old.url, name="Old", secrets=[old, new],
                        expires=[TUESDAY_10AM + dt.timedelta(days=1), None])
        endpoint_create("bexley", knows_new.url, name="New", secrets=[old, new],
                        expires=[TUESDAY_10AM + dt.timedelta(days=1), None])
        esc = raise_escalation("bexley-practitioner", "bexley-internal")
        deliveries_send()
        assert len(knows_old.accepted) == len(knows_new.accepted) == 1
        assert len(knows_old.requests[0].headers["webhook-signature"].split(" ")) == 2

        travel(TUESDAY_10AM + dt.timedelta(days=2))  # the old secret has expired
        services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Two days on.")
        deliveries_send()
        assert [p["type"] for p in knows_new.accepted] == ["escalation.raise", "escalation.note"]
        assert knows_old.refused[-1].reason == "No matching signature found"
        request = knows_new.requests[-1]
        assert len(request.headers["webhook-signature"].split(" ")) == 1
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(request.body, request.headers)
        assert Webhook(new).verify(request.body, request.headers)["type"] == "escalation.note"
    finally:
        knows_old.stop()
        knows_new.stop()
