"""The organisation administrator's writes to webhooks: add and change an endpoint, turn it on or off, rotate
its secret, and send deliveries again (one, or every one of a time range).

Each checks who may make it (``rules``: ``webhooks.add_endpoint``, ``webhooks.manage_endpoint``), refuses bad
input with the field and the reason (``ValidationError``) before changing anything, and makes its change in one
transaction. The audit row of each is written by the caller (administration, which sits above), in the same
transaction.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from core.errors import ActionNotPermitted
from organisations.models import User

from .addresses import private_host
from .delivery import deliveries_requeue
from .event_types import EVENT_TYPES
from .models import Delivery, Endpoint, EndpointSecret
from .outbox import delivery_queue
from .signing import secret_generate

Errors = dict[str, list[str]]

# During a rotation the old secret keeps working this long, so that the receiver can change over.
ROTATION_OVERLAP = dt.timedelta(hours=24)
NAME_LIMIT = 100  # Endpoint.name
URL_LIMIT = 500  # Endpoint.url
EXAMPLE_URL = "https://cms.example.org/escalation-tracker/events"


def _raise_if(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _require(actor: User, permission: str, obj: object | None = None) -> None:
    if not actor.has_perm(permission, obj):
        raise ActionNotPermitted("Only the organisation's administrator can manage its webhooks.")


def secrets_valid(*, endpoint: Endpoint, now: dt.datetime | None = None) -> QuerySet[EndpointSecret]:
    """The secrets a request to the endpoint is signed with now, newest first: one, or two during a rotation."""
    now = now or timezone.now()
    return endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("-created_at", "-id")


# --- the checks of an endpoint's fields ---------------------------------------------------------------------
def is_loopback(host: str | None) -> bool:
    """This machine: ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# One label of a host name (RFC 1123); a name of one label is allowed: a receiver in the same network
# ("receiver" in a compose file) where WEBHOOKS_ALLOW_HTTP allows plain http to it.
HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def _url_well_formed(url: str) -> bool:
    """An absolute http(s) URL with a host (a name or an address) and, if any, a real port; no spaces."""
    if any(char.isspace() or ord(char) < 32 for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it: a port that is not a number, or out of range, raises)
    except ValueError:  # an unclosed [IPv6 address], or a bad port
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(HOST_LABEL.fullmatch(label) for label in labels)


def _name(errors: Errors, name: object, *, organisation_id: int, endpoint: Endpoint | None = None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        _add(errors, "name", "Enter a name for the endpoint, such as the system it goes to")
    elif len(name) > NAME_LIMIT:
        _add(errors, "name", f"The name must be {NAME_LIMIT} characters or fewer")
    else:
        taken = Endpoint.objects.annotate(lower=Lower("name")).filter(organisation_id=organisation_id,
                                                                     lower=name.lower())
        if endpoint is not None:
            taken = taken.exclude(pk=endpoint.pk)
        if taken.exists():
            _add(errors, "name", f"Your organisation already has an endpoint called “{name}”: choose another name")
    return name


def _url(errors: Errors, url: object) -> str:
    url = str(url or "").strip()
    if not url:
        _add(errors, "url", f"Enter the endpoint's URL, for example {EXAMPLE_URL}")
        return url
    if len(url) > URL_LIMIT:
        _add(errors, "url", f"The URL must be {URL_LIMIT} characters or fewer")
        return url
    if not _url_well_formed(url):
        _add(errors, "url", f"Enter a full URL that starts with https://, for example {EXAMPLE_URL}")
        return url
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        _add(errors, "url", "The URL must not hold a user name or password: the signature of each event "
                            "proves who sent it")
    elif private_host(parts.hostname) and not settings.WEBHOOKS_ALLOW_PRIVATE_NETWORK:
        _add(errors, "url", "The URL must be an address on the internet: events are not sent to this server's own "
                            "machine or network")
    elif parts.scheme == "http" and not is_loopback(parts.hostname) and not settings.WEBHOOKS_ALLOW_HTTP:
        _add(errors, "url", "The URL must start with https://: events are sent only over an encrypted connection "
                            "(plain http:// only to this machine, such as http://127.0.0.1:8765/events)")
    return url


def _kinds(errors: Errors, kinds: Iterable[str] | None) -> list[str]:
    """The chosen types in the list's own order; none chosen sends every type."""
    chosen = {str(kind) for kind in kinds or ()}
    if unknown := sorted(chosen - set(EVENT_TYPES)):
        _add(errors, "kinds", f"Choose from the kinds of event listed ({', '.join(unknown)} is not one of them)")
    return [kind for kind in EVENT_TYPES if kind in chosen]


# --- endpoints ---------------------------------------------------------------------------------------------
def endpoint_create(*, actor: User, name: str, url: str, kinds: Iterable[str] | None = None,
                    include_display_name: bool = False, active: bool = False) -> tuple[Endpoint, EndpointSecret]:
    """Add an endpoint to the administrator's organisation, with its first secret (returned to be shown once).

    It starts off unless asked otherwise: the receiver needs the secret before the first event arrives.
    """
    _require(actor, "webhooks.add_endpoint")
    assert actor.organisation_id is not None
    errors: Errors = {}
    name = _name(errors, name, organisation_id=actor.organisation_id)
    url = _url(errors, url)
    kinds = _kinds(errors, kinds)
    _raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            organisation_id=actor.organisation_id, name=name, url=url, kinds=kinds,
            include_display_name=bool(include_display_name), active=bool(active), created_at=now, created_by=actor,
        )
        secret = EndpointSecret.objects.create(endpoint=endpoint, secret=secret_generate(), created_at=now)
    return endpoint, secret


def _locked(endpoint: Endpoint) -> Endpoint:
    """The endpoint's row, locked until the transaction ends (two administrators' changes wait in turn)."""
    return Endpoint.objects.select_for_update().get(pk=endpoint.pk)


def endpoint_update(*, actor: User, endpoint: Endpoint, name: str, url: str, kinds: Iterable[str] | None,
                    include_display_name: bool, active: bool) -> Endpoint:
    """Change an endpoint's name, URL, kinds of event, whether the child's display name goes, and on or off."""
    _require(actor, "webhooks.manage_endpoint", endpoint)
    errors: Errors = {}
    name = _name(errors, name, organisation_id=endpoint.organisation_id, endpoint=endpoint)
    url = _url(errors, url)
    kinds = _kinds(errors, kinds)
    _raise_if(errors)
    with transaction.atomic():
        locked = _locked(endpoint)
        locked.name, locked.url, locked.kinds = name, url, kinds
        locked.include_display_name, locked.active = bool(include_display_name), bool(active)
        locked.save(update_fields=["name", "url", "kinds", "include_display_name", "active"])
    return locked


def endpoint_switch(*, actor: User, endpoint: Endpoint, active: bool) -> Endpoint:
    """Turn an endpoint on or off. Off: no event is queued for it. On again: its URL must still be acceptable."""
    _require(actor, "webhooks.manage_endpoint", endpoint)
    if active:
        errors: Errors = {}
        _url(errors, endpoint.url)
        _raise_if(errors)
    with transaction.atomic():
        locked = _locked(endpoint)
        locked.active = bool(active)
        locked.save(update_fields=["active"])
    return locked


def secret_rotate(*, actor: User, endpoint: Endpoint, now: dt.datetime | None = None) -> EndpointSecret:
    """Give the endpoint a new secret. The one it had stays valid for ``ROTATION_OVERLAP``, so requests carry
    both signatures meanwhile; any older one still valid (a rotation in progress) stops now."""
    _require(actor, "webhooks.manage_endpoint", endpoint)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(endpoint)
        valid = list(secrets_valid(endpoint=locked, now=now))
        if valid:
            previous, older = valid[0], valid[1:]
            previous.expires_at = now + ROTATION_OVERLAP
            previous.save(update_fields=["expires_at"])
            EndpointSecret.objects.filter(pk__in=[secret.pk for secret in older]).update(expires_at=now)
        return EndpointSecret.objects.create(endpoint=locked, secret=secret_generate(), created_at=now)


# --- sending again -----------------------------------------------------------------------------------------
# Deliveries one UPDATE names at once: a long range goes in several, each well under SQLite's limit of bound
# parameters.
REQUEUE_BATCH = 1000


def _requeue(ids: list[int]) -> int:
    """Send these deliveries again (the engine's replay: waiting, due now, tries counted and the 24-hour window
    from now, earlier tries kept in the log), and ask a worker to send them once the change commits."""
    count = 0
    with transaction.atomic():
        for start in range(0, len(ids), REQUEUE_BATCH):
            count += deliveries_requeue(ids=ids[start:start + REQUEUE_BATCH])
        if count:
            transaction.on_commit(delivery_queue)
    return count


def delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """Send one delivery again, now, whatever became of it (receivers tell a repeat by the event's id)."""
    _require(actor, "webhooks.manage_endpoint", delivery.endpoint)
    _requeue([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def deliveries_replay_range(*, actor: User, endpoint: Endpoint, start: dt.datetime | None, end: dt.datetime | None,
                            now: dt.datetime | None = None) -> int:
    """Send again every delivery to the endpoint whose event was made between ``start`` and ``end`` (both
    included); return how many."""
    _require(actor, "webhooks.manage_endpoint", endpoint)
    errors: Errors = {}
    if start is None:
        _add(errors, "start", "Enter when the events to send again begin")
    if end is None:
        _add(errors, "end", "Enter when the events to send again end")
    if start is not None and end is not None:
        if end < start:
            _add(errors, "end", "The end must be the same as or after the start")
        elif start > (now or timezone.now()):
            _add(errors, "start", "The start must be in the past: no event has been made after now")
    _raise_if(errors)
    ids = list(Delivery.objects.filter(endpoint=endpoint, event__created_at__gte=start, event__created_at__lte=end)
               .values_list("pk", flat=True))
    return _requeue(ids)
