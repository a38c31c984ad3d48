"""What the webhook page tests share (no tests here): a delivery with its event and tries, made as the engine
leaves them, and headers signed as the engine signs a request (one signature for each valid secret)."""
from __future__ import annotations

import datetime as dt
import itertools

import standardwebhooks
from django.utils import timezone

from webhooks.models import Delivery, DeliveryAttempt, Endpoint, OutboxEvent

# What an event's payload holds and the administrator's pages never show.
CASE_REFERENCE = "LCS-424242"

_numbers = itertools.count(1)


def delivery_made(endpoint: Endpoint, *, event_type: str = "escalation.raise", at: dt.datetime | None = None,
                  status: str = Delivery.Status.PENDING,
                  tries: list[tuple[int | None, str]] | tuple = ()) -> Delivery:
    """An event of the endpoint's organisation and its delivery, with a try for each (status code, error)."""
    number = next(_numbers)
    at = at or timezone.now()
    event = OutboxEvent.objects.create(
        event_id=f"msg_page{number:08d}", organisation_id=endpoint.organisation_id, escalation_id=number,
        type=event_type, payload={"type": event_type, "data": {"case": {"reference": CASE_REFERENCE}}}, created_at=at,
    )
    delivery = Delivery.objects.create(event=event, endpoint=endpoint, status=status, attempts=len(tries),
                                       created_at=at, next_attempt_at=at + dt.timedelta(minutes=5),
                                       delivered_at=at if status == Delivery.Status.DELIVERED else None)
    for index, (status_code, error) in enumerate(tries):
        DeliveryAttempt.objects.create(delivery=delivery, at=at + dt.timedelta(minutes=index + 1),
                                       status_code=status_code, error=error, duration_ms=40 + index)
    return delivery


def signed(secrets: list[str], body: str, *, msg_id: str = "msg_signed") -> dict[str, str]:
    """Standard Webhooks headers for ``body``, signed now with each secret (space-separated signatures)."""
    now = dt.datetime.now(dt.UTC)
    signatures = " ".join(standardwebhooks.Webhook(secret).sign(msg_id, now, body) for secret in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signatures}
