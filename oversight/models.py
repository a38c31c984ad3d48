"""The systemic issues register (Bexley 4.4) and its audit trail.

An issue is changed only by ``oversight.services``, which writes a ``SystemicIssueEvent`` for each
change it makes; the events are append-only, like an escalation's timeline.
"""
from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from core.models import AppendOnlyModel
from escalations.models import Escalation


class SystemicIssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"


class SystemicIssueKind(models.TextChoices):
    """Bexley 4.4: the systemic issues a PSW raises."""

    BUREAUCRACY = "bureaucracy", "Obstructive bureaucratic processes"
    IT = "it", "IT problems"
    ENVIRONMENT = "environment", "Environmental constraints of the workplace"
    RELATIONS = "relations", "Ineffective or toxic communications or working relations"
    OTHER = "other", "Other"


class SystemicIssue(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="systemic_issues",
    )
    kind = models.CharField(max_length=20, choices=SystemicIssueKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    status = models.CharField(max_length=20, choices=SystemicIssueStatus.choices, default=SystemicIssueStatus.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="systemic_issues_owned")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    escalations = models.ManyToManyField(Escalation, blank=True, related_name="systemic_issues")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SystemicIssueEventKind(models.TextChoices):
    CREATED = "created", "Recorded"
    STATUS_CHANGED = "status_changed", "Status changed"
    OWNER_CHANGED = "owner_changed", "Owner changed"
    RESOLUTION_CHANGED = "resolution_changed", "Resolution changed"
    ESCALATIONS_LINKED = "escalations_linked", "Escalations linked"
    ESCALATIONS_UNLINKED = "escalations_unlinked", "Escalations unlinked"


class SystemicIssueEvent(AppendOnlyModel):
    """One change to a systemic issue, who made it and when: append-only, written by the services."""

    issue = models.ForeignKey(SystemicIssue, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30, choices=SystemicIssueEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    params = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    append_only_name = "a systemic issue's history"

    class Meta:
        base_manager_name = "objects"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["issue", "at"], name="systemic_event_issue_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

