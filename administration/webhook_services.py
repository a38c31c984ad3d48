"""The administrator's changes to the organisation's webhooks: each is one call of the webhooks' own door
(``webhooks.services``, which checks who and what) and its audit row, in one transaction, as every other change
on the administration pages (``services.py``)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from organisations.models import User
from webhooks import services as webhooks
from webhooks.models import Delivery, Endpoint, EndpointSecret

from . import events


def webhook_endpoint_add(*, actor: User, name: str, url: str, kinds: Iterable[str] | None,
                         include_display_name: bool) -> tuple[Endpoint, EndpointSecret]:
    """Add an endpoint (off until turned on) and return it with its first secret, to be shown once."""
    with transaction.atomic():
        endpoint, secret = webhooks.endpoint_create(actor=actor, name=name, url=url, kinds=kinds,
                                                    include_display_name=include_display_name)
        events.audit_add(events.webhook_endpoint_added(actor=actor, endpoint=endpoint, secret=secret))
    return endpoint, secret


def webhook_endpoint_change(*, actor: User, endpoint: Endpoint, name: str, url: str, kinds: Iterable[str] | None,
                            include_display_name: bool) -> Endpoint:
    """Change what an endpoint is called, where it is and what it is sent (on or off stays as it is)."""
    before = events.endpoint_snapshot(endpoint)
    with transaction.atomic():
        changed = webhooks.endpoint_update(actor=actor, endpoint=endpoint, name=name, url=url, kinds=kinds,
                                           include_display_name=include_display_name, active=endpoint.active)
        if events.endpoint_snapshot(changed) != before:
            events.audit_add(events.webhook_endpoint_changed(actor=actor, endpoint=changed, before=before))
    return changed


def webhook_endpoint_switch(*, actor: User, endpoint: Endpoint, active: bool) -> Endpoint:
    """Turn an endpoint on or off."""
    before = events.endpoint_snapshot(endpoint)
    with transaction.atomic():
        changed = webhooks.endpoint_switch(actor=actor, endpoint=endpoint, active=active)
        if changed.active != before["active"]:
            events.audit_add(events.webhook_endpoint_changed(actor=actor, endpoint=changed, before=before))
    return changed


def webhook_secret_rotate(*, actor: User, endpoint: Endpoint) -> EndpointSecret:
    """Give the endpoint a new secret (returned to be shown once); the previous one works for 24 hours more."""
    with transaction.atomic():
        previous = webhooks.secrets_valid(endpoint=endpoint).first()
        secret = webhooks.secret_rotate(actor=actor, endpoint=endpoint)
        if previous is not None:
            previous.refresh_from_db()
        events.audit_add(events.webhook_secret_rotated(actor=actor, endpoint=endpoint, secret=secret,
                                                       previous=previous))
    return secret


def webhook_delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """Send one delivery again now."""
    status_before = delivery.status
    with transaction.atomic():
        replayed = webhooks.delivery_replay(actor=actor, delivery=delivery)
        events.audit_add(events.webhook_delivery_replayed(actor=actor, delivery=replayed,
                                                          status_before=status_before))
    return replayed


def webhook_deliveries_replay(*, actor: User, endpoint: Endpoint, start: dt.datetime | None,
                              end: dt.datetime | None) -> int:
    """Send again every delivery to the endpoint whose event was made in [start, end]; return how many."""
    with transaction.atomic():
        count = webhooks.deliveries_replay_range(actor=actor, endpoint=endpoint, start=start, end=end)
        assert start is not None and end is not None  # the door refused a missing one
        events.audit_add(events.webhook_deliveries_replayed(actor=actor, endpoint=endpoint, start=start, end=end,
                                                            count=count))
    return count
