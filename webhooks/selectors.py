"""The reads of the administrator's webhook pages, always within one organisation.

The delivery log says what was sent, when and what the receiver answered; never what the event held (its
payload names a case), which the administrator does not see.
"""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Delivery, Endpoint


def endpoint_list(*, organisation_id: int) -> QuerySet[Endpoint]:
    """The organisation's endpoints by name, each with how many deliveries wait and how many gave up."""
    return (Endpoint.objects.filter(organisation_id=organisation_id)
            .annotate(waiting=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
                      given_up=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)))
            .order_by("name", "pk"))


def endpoint_get(*, organisation_id: int, pk: int) -> Endpoint:
    """One of the organisation's endpoints; another organisation's is not found, as a missing one."""
    endpoint = Endpoint.objects.filter(organisation_id=organisation_id, pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint in your organisation.")
    return endpoint


def endpoints_failing(*, organisation_id: int) -> QuerySet[Endpoint]:
    """The organisation's endpoints marked failing (a delivery refused for the whole retry window)."""
    return Endpoint.objects.filter(organisation_id=organisation_id, failing_since__isnull=False).order_by("name")


def delivery_log(*, endpoint: Endpoint) -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first (in the order they were queued: one sent again keeps its place),
    each with its event's type and id and its tries (newest first); the events' payloads are not read."""
    return (Delivery.objects.filter(endpoint=endpoint)
            .select_related("event").defer("event__payload")
            .prefetch_related("tries")
            .order_by("-id"))


def delivery_get(*, organisation_id: int, pk: int) -> Delivery:
    """One delivery to one of the organisation's endpoints; any other is not found."""
    delivery = (Delivery.objects.filter(endpoint__organisation_id=organisation_id, pk=pk)
                .select_related("endpoint", "event").defer("event__payload").first())
    if delivery is None:
        raise Http404("No such delivery in your organisation.")
    return delivery
