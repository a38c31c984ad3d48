"""Sending the outbox: claim what is due, sign it, POST it, record the try, and retry or give up.

``deliveries_send`` is what the Celery task runs (queued after each change that wrote an event, and by beat
every minute). It claims a few due deliveries at a time and sends each:

- **Claim.** A delivery is due while it is pending, its ``next_attempt_at`` has come, its endpoint is active
  and no earlier event of the same escalation is still pending to the same endpoint (events of one escalation
  reach an endpoint in the order they happened). On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP
  LOCKED``; on SQLite, which has no row locks, each row is claimed by a compare-and-set on its
  ``next_attempt_at``. Either way the claim moves ``next_attempt_at`` past the time the batch can take (a
  lease): two workers never hold the same delivery, and a worker that dies mid-batch leaves its deliveries to
  be claimed again once the lease has passed.
- **Send.** One POST per delivery with the body built for its endpoint (``payloads``), signed with every valid
  secret (``signing``), with a timeout (``WEBHOOK_TIMEOUT_SECONDS``); redirects are not followed.
- **Record.** Every try is a ``DeliveryAttempt``. A 2xx answer delivers it and clears the endpoint's
  ``failing_since``. Anything else is tried again after an exponential backoff with jitter (30 s doubling to
  an hour, each wait drawn between half and all of it), for 24 hours from when the delivery was queued; the
  first try that fails after that gives it up (``failed``), marks the endpoint failing and tells the
  organisation's administrators once (``Kind.WEBHOOK_FAILING``). A failed delivery no longer holds back the
  later events of its escalation; the administrator can replay it (``deliveries_requeue``).

A receiver may see an event more than once (its answer was lost, or a worker died after the POST): it
de-duplicates on ``webhook-id`` (docs/webhooks.md).
"""
from __future__ import annotations

import datetime as dt
import http.client
import logging
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from notifications.models import Kind
from notifications.services import notify
from notifications.texts import webhook_failing_message
from organisations.models import Role, User

from .addresses import is_public_address
from .models import Delivery, DeliveryAttempt, Endpoint, EndpointSecret
from .payloads import body_of, payload_for_endpoint
from .signing import headers_signed

logger = logging.getLogger(__name__)

# The issue asks for at least 24 hours of tries before an endpoint is called failing.
RETRY_WINDOW = dt.timedelta(hours=24)
# The first wait, doubled after each failed try up to the longest: about 35 tries in a day, most an hour apart,
# so a receiver back after a short outage is caught up within minutes, and one down for hours is not hammered.
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_LONGEST = dt.timedelta(hours=1)
# Deliveries claimed at once: each may take the whole timeout, and the lease must outlast the batch.
CLAIM_BATCH = 10
LEASE_MARGIN = dt.timedelta(seconds=60)
# A run stops claiming after this long, so that beat's next run (a minute later) does not queue behind it.
RUN_SECONDS = 45
# Read at most this much of an answer: its status is all that counts.
ANSWER_BYTES = 64 * 1024

DELIVERED, RETRYING, FAILED = "delivered", "will try again", "failed (gave up)"


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def backoff(attempts: int, *, draw: Callable[[], float] = random.random) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 30 s doubling up to an hour, drawn between half and all."""
    longest = min(BACKOFF_LONGEST, BACKOFF_FIRST * 2 ** max(attempts - 1, 0))
    return longest * (0.5 + draw() / 2)


@dataclass
class DeliveryRun:
    """What one run did: counts by outcome."""

    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        if not self.counts:
            return "webhooks: nothing due"
        return "webhooks: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.counts.items()))


# --- what is due, and the claim --------------------------------------------------------------------------------
def deliveries_due(*, now: dt.datetime) -> QuerySet[Delivery]:
    """Pending deliveries whose time has come, to active endpoints, with no earlier event of the same escalation
    still pending to the same endpoint."""
    earlier = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), status=Delivery.Status.PENDING,
        event__escalation_id=OuterRef("event__escalation_id"), event_id__lt=OuterRef("event_id"),
    )
    return (Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .filter(~Exists(earlier)))


def _lease(size: int) -> dt.timedelta:
    """How long a claim holds its deliveries: long enough for each of them to take the whole timeout."""
    return dt.timedelta(seconds=timeout_seconds() * size) + LEASE_MARGIN


def _claim(*, size: int) -> tuple[list[int], dt.datetime]:
    """Claim up to ``size`` due deliveries: return their ids and the lease they now hold (their
    ``next_attempt_at``, which a worker checks again before recording its try)."""
    now = timezone.now()
    lease_until = now + _lease(size)
    locks = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        due = deliveries_due(now=now).order_by("next_attempt_at", "pk")
        if locks:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.values_list("pk", "next_attempt_at")[:size])
        if locks:
            Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(next_attempt_at=lease_until)
            return [pk for pk, _ in rows], lease_until
        claimed = [pk for pk, seen in rows
                   if Delivery.objects.filter(pk=pk, status=Delivery.Status.PENDING, next_attempt_at=seen)
                   .update(next_attempt_at=lease_until)]
        return claimed, lease_until


# --- one try ------------------------------------------------------------------------------------------------
class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other that is not 2xx: the event is not re-sent elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _private_network_refusal(url: str) -> str:
    """Why the URL's host may not be called, where it resolves to this machine or a private network and
    ``WEBHOOKS_ALLOW_PRIVATE_NETWORK`` is off; empty where it may. The name is resolved here, at each try,
    so that a name that points inward later (or from the start) is refused too."""
    if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORK:
        return ""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError) as exc:
        return f"No answer: the name {host} could not be resolved ({exc.__class__.__name__})"
    inward = sorted(a for a in addresses if not is_public_address(a))
    if inward:
        return (f"Refused: {host} is on this server's own machine or network ({', '.join(inward)}); events go "
                "only to addresses on the internet")
    return ""


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once; return the status (None where there was no answer) and what went wrong, if anything."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return None, "The URL is not http or https."
    refusal = _private_network_refusal(url)
    if refusal:
        return None, refusal
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout_seconds()) as answer:
            answer.read(ANSWER_BYTES)
            return answer.status, ""
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"Answered {exc.code}"
    except urllib.error.URLError as exc:
        return None, f"No answer: {exc.reason}"
    except TimeoutError:
        return None, f"No answer within {timeout_seconds():g} s"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"No answer: {exc.__class__.__name__}: {exc}"


def _secrets_valid(endpoint: Endpoint, now: dt.datetime) -> list[str]:
    return [s.secret for s in endpoint.secrets.all() if s.expires_at is None or s.expires_at > now]


def _send(delivery: Delivery) -> tuple[int | None, str, int]:
    """Sign and POST one delivery now; return the status, the error and how long it took (ms)."""
    endpoint = delivery.endpoint
    now = timezone.now()
    secrets_valid = _secrets_valid(endpoint, now)
    if not secrets_valid:
        return None, "The endpoint has no valid secret to sign with.", 0
    event = delivery.event
    body = body_of(payload_for_endpoint(event.payload, include_display_name=endpoint.include_display_name))
    headers = headers_signed(msg_id=event.event_id, at=now, body=body, secrets_valid=secrets_valid)
    started = time.monotonic()
    status, error = _post(endpoint.url, body.encode("utf-8"), headers)
    return status, error, round((time.monotonic() - started) * 1000)


def endpoint_administrators(organisation_id: int) -> list[User]:
    """Who is told that an endpoint is failing: the organisation's active administrators."""
    return list(User.objects.filter(organisation_id=organisation_id, role=Role.ORG_ADMIN, is_active=True)
                .order_by("pk"))


def _endpoint_failing(endpoint: Endpoint, now: dt.datetime) -> None:
    """Mark the endpoint failing and tell its organisation's administrators, once until it next succeeds."""
    if not Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now):
        return
    notify(kind=Kind.WEBHOOK_FAILING, recipients=endpoint_administrators(endpoint.organisation_id),
           message=webhook_failing_message(endpoint_name=endpoint.name, hours=RETRY_WINDOW // dt.timedelta(hours=1)),
           discriminator=f"endpoint-{endpoint.pk}-{now.timestamp():.0f}",
           params={"endpoint": endpoint.pk, "organisation": endpoint.organisation_id})


def _record(delivery: Delivery, *, lease_until: dt.datetime, status: int | None, error: str,
            duration_ms: int) -> str:
    """Record one try and what follows from it, if this worker still holds the delivery."""
    now = timezone.now()
    ok = status is not None and 200 <= status < 300
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, at=now, status_code=status, error=error[:300],
                                       duration_ms=duration_ms)
        mine = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING, next_attempt_at=lease_until)
        if ok:
            if mine.update(status=Delivery.Status.DELIVERED, delivered_at=now, attempts=F("attempts") + 1):
                Endpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(failing_since=None)
            return DELIVERED
        if now - delivery.created_at >= RETRY_WINDOW:
            if mine.update(status=Delivery.Status.FAILED, attempts=F("attempts") + 1):
                _endpoint_failing(delivery.endpoint, now)
            return FAILED
        mine.update(attempts=F("attempts") + 1, next_attempt_at=now + backoff(delivery.attempts + 1))
        return RETRYING


# --- the run --------------------------------------------------------------------------------------------------
def deliveries_send(*, batch_size: int = CLAIM_BATCH, seconds: float = RUN_SECONDS) -> DeliveryRun:
    """Send what is due, a claimed batch at a time, until nothing is due or ``seconds`` have passed."""
    run = DeliveryRun()
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        ids, lease_until = _claim(size=batch_size)
        if not ids:
            break
        claimed = (Delivery.objects.filter(pk__in=ids).select_related("event", "endpoint")
                   .prefetch_related(Prefetch("endpoint__secrets", EndpointSecret.objects.order_by("-created_at",
                                                                                                  "-id")))
                   .order_by("pk"))
        for delivery in claimed:
            try:
                status, error, duration_ms = _send(delivery)
            except Exception as exc:  # a fault of ours must not stop the others: recorded, tried again
                logger.exception("webhooks: could not send delivery %s", delivery.pk)
                status, error, duration_ms = None, f"Not sent: {exc.__class__.__name__}", 0
            run.counts[_record(delivery, lease_until=lease_until, status=status, error=error,
                               duration_ms=duration_ms)] += 1
    return run


def deliveries_requeue(*, ids: Iterable[int]) -> int:
    """Send these deliveries again from now (a replay): pending, due at once, with a fresh 24-hour window.

    Their tries so far stay in the log; the receiver gets the same event id again. Returns how many.
    """
    now = timezone.now()
    return Delivery.objects.filter(pk__in=list(ids)).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now, delivered_at=None, created_at=now,
    )
