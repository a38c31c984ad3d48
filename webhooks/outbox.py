"""The transactional outbox: an event and its deliveries, written in the transaction of the change they report.

The escalation's door (``escalations.webhook_events``) hands over plain data, one ``Draft`` per event and
organisation; ``outbox_write`` finds each organisation's active endpoints that take the event's type (an
endpoint with no ``kinds`` takes every type), writes one ``OutboxEvent`` per draft that some endpoint takes
and one ``Delivery`` per such endpoint, in two INSERT statements whatever the size of the batch, and queues
the delivery task once the transaction commits. A change that rolls back takes its events with it.

Most organisations have no endpoint. ``organisations_with_endpoints`` answers "which of these have one?" from
the shared cache (one set of organisation ids, read once per batch), so a change about such an organisation
costs no statement at all; the set is read again from the database whenever an endpoint is saved or deleted
(``endpoints_changed``).
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from core.bulk import rows_insert

from .models import Delivery, Endpoint, OutboxEvent

logger = logging.getLogger(__name__)

# The version of the payload's schema (docs/webhooks.md): bumped when a field is removed or changes meaning;
# a field added keeps it.
PAYLOAD_VERSION = 1

# The cached set of organisations with an active endpoint lives under a key that names a generation; saving
# or deleting an endpoint starts a new generation, so the next reader reads the database again. A set read
# from a snapshot older than the change is stored under the old generation, where nobody looks any more.
GENERATION_KEY = "webhooks:endpoints:generation"
ORGANISATIONS_KEY = "webhooks:endpoints:organisations:{}"
# A safety net for a change the signals do not see (a queryset ``update`` that forgot ``endpoints_changed``):
# the set is read again at least this often.
ORGANISATIONS_TTL_SECONDS = 300


@dataclass(frozen=True)
class Draft:
    """One event about to go out to one organisation's endpoints (the payload without its ``id``)."""

    organisation_id: int
    escalation_id: int | None
    type: str
    payload: dict[str, Any]
    created_at: dt.datetime


def event_id_new() -> str:
    """A fresh event id: the ``webhook-id`` header and the payload's ``id`` (receivers de-duplicate on it)."""
    return f"msg_{uuid.uuid4().hex}"


# --- which organisations have an endpoint ----------------------------------------------------------------
def _bump_generation() -> None:
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # the cache is away: readers fall back to the database, and the TTL bounds the rest
        logger.warning("webhooks: could not mark the endpoints as changed in the cache", exc_info=True)


def endpoints_changed() -> None:
    """Say that endpoints changed: now, and again once the transaction commits (a reader who read the database
    before the commit stored its answer under the generation this ends).

    The model's signals call it on every ``save`` and ``delete``; a queryset ``update`` of endpoints must call
    it too.
    """
    _bump_generation()
    transaction.on_commit(_bump_generation)


@receiver(post_save, sender=Endpoint, dispatch_uid="webhooks_endpoint_saved")
@receiver(post_delete, sender=Endpoint, dispatch_uid="webhooks_endpoint_deleted")
def _endpoint_changed(**_: Any) -> None:
    endpoints_changed()


def _changing_endpoints_here() -> bool:
    """Whether this transaction has changed endpoints and not yet committed: its own reads must not be cached
    (should it roll back, others would read what never was)."""
    return any(entry[1] is _bump_generation for entry in connection.run_on_commit)


def _organisations_read(organisation_ids: Collection[int] | None = None) -> set[int]:
    active = Endpoint.objects.filter(active=True)
    if organisation_ids is not None:
        active = active.filter(organisation_id__in=organisation_ids)
    return set(active.values_list("organisation_id", flat=True).distinct())


def organisations_with_endpoints(organisation_ids: Collection[int]) -> set[int]:
    """Which of these organisations have an active endpoint: from the cache, else one indexed query."""
    wanted = set(organisation_ids)
    if not wanted:
        return set()
    if _changing_endpoints_here():
        return _organisations_read(wanted)
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            generation = uuid.uuid4().hex
            if not cache.add(GENERATION_KEY, generation, timeout=None):
                generation = cache.get(GENERATION_KEY) or generation
        key = ORGANISATIONS_KEY.format(generation)
        known = cache.get(key)
        if known is None:
            known = _organisations_read()
            cache.set(key, known, timeout=ORGANISATIONS_TTL_SECONDS)
    except Exception:  # the cache is away: ask the database
        logger.warning("webhooks: the cache could not say which organisations have endpoints", exc_info=True)
        return _organisations_read(wanted)
    return set(known) & wanted


# --- the write --------------------------------------------------------------------------------------------
def _takes(kinds: object, event_type: str) -> bool:
    return not kinds or (isinstance(kinds, list) and event_type in kinds)


def outbox_write(drafts: Sequence[Draft]) -> list[str]:
    """Write the events some endpoint takes, with one delivery per such endpoint; return their event ids.

    Runs in the caller's transaction: the delivery task is queued once it commits, and nothing is queued or
    kept if it rolls back. At most three statements however many drafts: the endpoints of the organisations,
    the events, the deliveries.
    """
    if not drafts:
        return []
    organisations = {draft.organisation_id for draft in drafts}
    endpoints: dict[int, list[tuple[int, object]]] = {}
    for pk, organisation_id, kinds in (Endpoint.objects.filter(active=True, organisation_id__in=organisations)
                                       .order_by("pk").values_list("pk", "organisation_id", "kinds")):
        endpoints.setdefault(organisation_id, []).append((pk, kinds))
    events: list[dict[str, Any]] = []
    targets: list[list[int]] = []
    for draft in drafts:
        taking = [pk for pk, kinds in endpoints.get(draft.organisation_id, ()) if _takes(kinds, draft.type)]
        if not taking:
            continue
        event_id = event_id_new()
        payload = {"version": PAYLOAD_VERSION, "id": event_id, **draft.payload}
        events.append({"event_id": event_id, "organisation_id": draft.organisation_id,
                       "escalation_id": draft.escalation_id, "type": draft.type, "payload": payload,
                       "created_at": draft.created_at})
        targets.append(taking)
    if not events:
        return []
    # The rows' keys come back in the order of the rows (as for Django's bulk_create): events keep the
    # order of the timeline, which is the order deliveries go out in.
    pks = rows_insert(OutboxEvent, events, returning=True)
    now = timezone.now()
    rows_insert(Delivery, [
        {"event_id": pk, "endpoint_id": endpoint_id, "status": Delivery.Status.PENDING, "attempts": 0,
         "next_attempt_at": now, "created_at": now}
        for pk, taking in zip(pks, targets, strict=True) for endpoint_id in taking
    ])
    transaction.on_commit(delivery_queue)
    return [event["event_id"] for event in events]


def delivery_queue() -> None:
    """Ask a worker to send what is due now (beat asks every minute anyway: a broker that is away loses nothing)."""
    from .tasks import deliver_webhooks

    try:
        deliver_webhooks.delay()
    except Exception:
        logger.warning("webhooks: could not queue the delivery task; beat's next run sends the events",
                       exc_info=True)
