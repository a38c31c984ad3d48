"""The access log: who looked at, exported, was refused or changed what, when (UTC) and from where.

Append-only: saved once through ``audit.services``, never changed or deleted (refused here, and on
PostgreSQL by a trigger). It names people by id and username and things by kind and id, never a child's
name or a case reference. A row keeps the organisations of what it is about, so that a PSW reads the
rows about her organisation's escalations.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import AppendOnlyModel
from organisations.models import Organisation


class Action(models.TextChoices):
    ESCALATION_VIEWED = "escalation_viewed", "Viewed the escalation"
    RECORD_VIEWED = "record_viewed", "Viewed the written record"
    ATTACHMENT_DOWNLOADED = "attachment_downloaded", "Downloaded an attachment"
    EXPORTED = "exported", "Exported"
    REFUSED = "refused", "Refused"
    ADMINISTRATIVE_CHANGE = "administrative_change", "Administrative change"
    DELETED = "deleted", "Deleted"
    ACCESS_LOG_READ = "access_log_read", "Read the access log"
    ANONYMISED = "anonymised", "Anonymised"
    # A case registered or an escalation raised by an organisation's case-management system, with its token.
    SERVICE_WRITE = "service_write", "Written through an API token"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    FORBIDDEN = "forbidden", "Refused (not allowed)"
    NOT_FOUND = "not_found", "Refused (not found or not visible)"


class AccessEvent(AppendOnlyModel):
    """One look, export, refusal or change: who, what, when, from where, and how it ended."""

    at = models.DateTimeField(default=timezone.now, help_text="When, in UTC.")
    # No database constraint: the log outlives the people and organisations it names.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
        related_name="+", help_text="Empty for an anonymous request or the system.",
    )
    username = models.CharField(max_length=150, blank=True, help_text="The username at the time.")
    action = models.CharField(max_length=30, choices=Action.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.ALLOWED)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The HTTP status answered.")
    object_kind = models.CharField(max_length=40, blank=True, help_text="escalation, attachment, report, ...")
    object_id = models.CharField(max_length=64, blank=True)
    escalation_id = models.PositiveBigIntegerField(null=True, blank=True,
                                                   help_text="The escalation it is about, if any.")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+",
        help_text="The organisation of what it is about (an escalation's raising organisation).",
    )
    partner_organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+",
        help_text="An escalation's receiving organisation, on a multi-agency ladder.",
    )
    address = models.GenericIPAddressField(null=True, blank=True, help_text="The client's address.")
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True, help_text="Without the query string.")
    detail = models.JSONField(default=dict, blank=True)

    append_only_name = "the access log"

    class Meta:
        base_manager_name = "objects"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-at"], name="access_org_at"),
            models.Index(fields=["partner_organisation", "-at"], name="access_partner_at"),
            models.Index(fields=["escalation_id", "-at"], name="access_escalation_at"),
            models.Index(fields=["user", "-at"], name="access_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or 'anonymous'} {self.action} {self.object_kind} " \
               f"{self.object_id} ({self.outcome})"
