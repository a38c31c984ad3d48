"""The administration audit log: every change an organisation's or partnership's administrator makes."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import AppendOnlyModel
from organisations.models import Organisation, Partnership


class AuditKind(models.TextChoices):
    ORGANISATION_CREATED = "organisation_created", "Organisation created"
    PERSON_INVITED = "person_invited", "Person invited"
    INVITATION_RESENT = "invitation_resent", "Invitation sent again"
    PERSON_CHANGED = "person_changed", "Person changed"
    PERSON_DEACTIVATED = "person_deactivated", "Person deactivated"
    TEAM_CREATED = "team_created", "Team created"
    TEAM_RENAMED = "team_renamed", "Team renamed"
    TEAM_DELETED = "team_deleted", "Team deleted"
    CLOSURE_DAY_ADDED = "closure_day_added", "Closure day added"
    CLOSURE_DAY_REMOVED = "closure_day_removed", "Closure day removed"
    SETTINGS_CHANGED = "settings_changed", "Organisation settings changed"
    CATEGORY_ADDED = "category_added", "Category added"
    CATEGORY_REMOVED = "category_removed", "Category removed"
    TIER_MAPPING_CHANGED = "tier_mapping_changed", "Role → tier mapping changed"
    TIMESCALES_CHANGED = "timescales_changed", "Ladder timescales changed"
    QAP_CHAIR_CHANGED = "qap_chair_changed", "QA&P chair changed"
    RETENTION_CHANGED = "retention_changed", "Retention period changed"
    WEBHOOK_ENDPOINT_ADDED = "webhook_endpoint_added", "Webhook endpoint added"
    WEBHOOK_ENDPOINT_CHANGED = "webhook_endpoint_changed", "Webhook endpoint changed"
    WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", "Webhook secret rotated"
    WEBHOOK_DELIVERY_REPLAYED = "webhook_delivery_replayed", "Webhook delivery sent again"
    WEBHOOK_DELIVERIES_REPLAYED = "webhook_deliveries_replayed", "Webhook deliveries of a time range sent again"
    SERVICE_TOKEN_ISSUED = "service_token_issued", "API token made"
    SERVICE_TOKEN_REVOKED = "service_token_revoked", "API token revoked"
    # Written by the retention run (administration.retention), the actor empty: the system.
    ESCALATION_ANONYMISED = "escalation_anonymised", "Escalation anonymised after the retention period"
    CASE_ANONYMISED = "case_anonymised", "Case anonymised after the retention period"
    DIGESTS_ERASED = "digests_erased", "Old digests' lists erased after the retention period"


class AuditEntry(AppendOnlyModel):
    """One change made on the administration pages: who, when, what, and the values before and after.

    It belongs to the organisation or the partnership whose administrator made it, and only they read it.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Empty for the platform's command that set the organisation up (create_organisation).",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    kind = models.CharField(max_length=40, choices=AuditKind.choices)
    subject = models.CharField(max_length=300, help_text="What was changed, in words (a person, a team, a ladder).")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    append_only_name = "the audit log"

    class Meta:
        base_manager_name = "objects"
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["organisation", "at"], name="audit_org_at"),
            models.Index(fields=["partnership", "at"], name="audit_partnership_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(partnership__isnull=False),
                name="audit_entry_has_an_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}: {self.subject}"
