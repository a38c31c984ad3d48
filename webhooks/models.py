"""Outbound webhooks: an organisation's endpoints, their signing secrets, the outbox and its deliveries.

The escalation's door writes an ``OutboxEvent`` in the same transaction as the change it reports, and
one ``Delivery`` per endpoint that subscribes to its type; a rolled-back change leaves neither. A Celery
task sends each delivery, signed to the Standard Webhooks specification, in order per escalation and
endpoint; every try is a ``DeliveryAttempt`` (the administrator's delivery log).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Endpoint(models.Model):
    """A URL of a case-management system that an organisation's administrator sends events to."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="webhook_endpoints")
    name = models.CharField(max_length=100, help_text="What the administrator calls it, e.g. 'Mosaic'.")
    url = models.URLField(max_length=500)
    # Event types sent (``escalation.raise``, ...); an empty list sends every type.
    kinds = models.JSONField(default=list, blank=True)
    include_display_name = models.BooleanField(
        default=False, help_text="Send the child's display name with each event (off: the case reference only).",
    )
    active = models.BooleanField(default=True)
    # Set when a delivery has been refused for the whole retry window; cleared by the next success.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="webhook_endpoint_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class EndpointSecret(models.Model):
    """A signing secret (``whsec_`` + base64). During a rotation two are valid: the new one and the old
    one until ``expires_at``; every request is signed with each valid secret (space-separated signatures)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="secrets")
    secret = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Secret of {self.endpoint_id} from {self.created_at:%Y-%m-%d}"


class OutboxEvent(models.Model):
    """One event as it goes out: written with the change, never edited except by retention's erasure."""

    # ``msg_`` + a random id: the ``webhook-id`` header and the payload's ``id``; receivers de-duplicate on it.
    event_id = models.CharField(max_length=40, unique=True)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="webhook_events")
    # A plain number, not a key: the outbox sits below escalations and outlives nothing of theirs.
    escalation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    type = models.CharField(max_length=60)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="webhook_event_org_time")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Delivery(models.Model):
    """One event to one endpoint: pending until the receiver answers 2xx, or until the retry window ends."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            # The task's claim: what is pending and due, oldest first.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=models.Q(status="pending")),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id}: {self.status}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, as the delivery log shows it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Try at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
