"""The organisation administrator's webhook pages, under /administration/webhooks/: the endpoints, adding and
changing one, turning it on or off, rotating its secret (shown once, never again in full), the delivery log and
sending deliveries again.

Thin, as the other administration pages: only an organisation's administrator opens them (403 for anyone else);
another organisation's endpoint or delivery is not found (404), exactly as a missing one.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ServiceError
from webhooks import selectors
from webhooks.event_types import event_type_label
from webhooks.models import Endpoint, EndpointSecret
from webhooks.services import ROTATION_OVERLAP, secrets_valid

from . import webhook_services as services
from .views import _act, _form_page, _posted, _try, organisation_admin_only
from .webhook_forms import EndpointForm, ReplayRangeForm

LOG_PAGE_SIZE = 25  # deliveries a page of the log, each with its tries
OVERLAP_HOURS = int(ROTATION_OVERLAP.total_seconds() // 3600)


def _endpoint(request: HttpRequest, pk: int) -> Endpoint:
    return selectors.endpoint_get(organisation_id=request.user.organisation_id, pk=pk)


def _secret_shown(request: HttpRequest, endpoint: Endpoint, secret: EndpointSecret, *, rotated: bool) -> HttpResponse:
    """The one page that shows a secret in full: the answer to the POST that made it, never stored or linked."""
    previous = secrets_valid(endpoint=endpoint).exclude(pk=secret.pk).first() if rotated else None
    return render(request, "administration/webhooks/secret.html", {
        "endpoint": endpoint, "secret": secret, "rotated": rotated, "previous": previous,
        "overlap_hours": OVERLAP_HOURS,
    })


# --- endpoints ---------------------------------------------------------------------------------------------
@organisation_admin_only
@require_GET
def endpoints(request: HttpRequest) -> HttpResponse:
    return render(request, "administration/webhooks/list.html", {
        "endpoints": selectors.endpoint_list(organisation_id=request.user.organisation_id),
    })


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def endpoint_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = EndpointForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        added = _try(form, lambda: services.webhook_endpoint_add(
            actor=user, name=data["name"], url=data["url"], kinds=data["kinds"],
            include_display_name=data["include_display_name"]))
        if added is not None:
            endpoint, secret = added
            return _secret_shown(request, endpoint, secret, rotated=False)
    return _form_page(request, form, title="Add a webhook endpoint", button="Add the endpoint",
                      back=reverse("administration:webhooks"), back_label="Back to webhooks",
                      intro="Each event on your organisation's escalations is sent to this URL, signed with a secret "
                            "that you give the receiving system. The endpoint starts off: turn it on once the "
                            "receiving system has the secret.")


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    endpoint = _endpoint(request, pk)
    form = EndpointForm(_posted(request), initial={
        "name": endpoint.name, "url": endpoint.url, "kinds": endpoint.kinds,
        "include_display_name": endpoint.include_display_name,
    })
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = _try(form, lambda: services.webhook_endpoint_change(
            actor=user, endpoint=endpoint, name=data["name"], url=data["url"], kinds=data["kinds"],
            include_display_name=data["include_display_name"]))
        if changed is not None:
            messages.success(request, f"The endpoint “{changed.name}” is saved.")
            return redirect("administration:webhook", pk=changed.pk)
    return render(request, "administration/webhooks/endpoint.html", {
        "endpoint": endpoint, "form": form, "secrets": list(secrets_valid(endpoint=endpoint)),
        "kinds": [event_type_label(kind) for kind in endpoint.kinds],
    })


@organisation_admin_only
@require_POST
def endpoint_switch(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    endpoint = _endpoint(request, pk)
    wanted = request.POST.get("active")
    if wanted not in ("on", "off"):
        messages.error(request, "Choose whether to turn the endpoint on or off.")
    else:
        active = wanted == "on"
        done = (f"“{endpoint.name}” is on: new events are sent to it." if active
                else f"“{endpoint.name}” is off: no new event is sent to it until it is turned on again.")
        _act(request, lambda: services.webhook_endpoint_switch(actor=user, endpoint=endpoint, active=active), done)
    if request.POST.get("next") == "list":
        return redirect("administration:webhooks")
    return redirect("administration:webhook", pk=endpoint.pk)


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def secret_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    endpoint = _endpoint(request, pk)
    if request.method == "POST":
        try:
            secret = services.webhook_secret_rotate(actor=user, endpoint=endpoint)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("administration:webhook", pk=endpoint.pk)
        return _secret_shown(request, endpoint, secret, rotated=True)
    return render(request, "administration/webhooks/rotate.html", {
        "endpoint": endpoint, "overlap_hours": OVERLAP_HOURS,
    })


# --- the delivery log and sending again --------------------------------------------------------------------
@organisation_admin_only
@require_GET
def deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    page = Paginator(selectors.delivery_log(endpoint=endpoint), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for delivery in page.object_list:
        tries = list(delivery.tries.all())
        rows.append({"delivery": delivery, "label": event_type_label(delivery.event.type), "tries": tries,
                     "last": tries[0] if tries else None})
    return render(request, "administration/webhooks/deliveries.html", {
        "endpoint": endpoint, "page_obj": page, "rows": rows,
    })


@organisation_admin_only
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    delivery = selectors.delivery_get(organisation_id=user.organisation_id, pk=pk)
    _act(request, lambda: services.webhook_delivery_replay(actor=user, delivery=delivery),
         f"Event {delivery.event.event_id} will be sent again to “{delivery.endpoint.name}” now"
         + ("." if delivery.endpoint.active else ", once the endpoint is turned on."))
    return redirect("administration:webhook_deliveries", pk=delivery.endpoint_id)


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def deliveries_replay(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    endpoint = _endpoint(request, pk)
    form = ReplayRangeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        count = _try(form, lambda: services.webhook_deliveries_replay(actor=user, endpoint=endpoint,
                                                                      start=data["start"], end=data["end"]))
        if count is not None:
            if count:
                messages.success(request, f"{count} deliver{'y' if count == 1 else 'ies'} will be sent again now"
                                 + ("." if endpoint.active else ", once the endpoint is turned on."))
            else:
                messages.info(request, "No event of that time was sent to this endpoint: nothing to send again.")
            return redirect("administration:webhook_deliveries", pk=endpoint.pk)
    return render(request, "administration/webhooks/replay.html", {"endpoint": endpoint, "form": form})
