"""A child's case, known by the case-management system's reference; as little as possible else."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CaseQuerySet":
        """Cases a person may see: their organisation's, and those they have an escalation on."""
        if not user.is_authenticated or user.is_board_user and not user.is_superuser:
            return self.none()
        if user.is_superuser:
            return self.all()
        from escalations.models import Escalation

        escalated = Escalation.objects.visible_to(user).values("case_id")
        return self.filter(Q(organisation_id=user.organisation_id) | Q(pk__in=escalated))


class Case(models.Model):
    reference = models.CharField(
        max_length=64, help_text="The reference in the case-management system, e.g. LCS-104233."
    )
    display_name = models.CharField(
        max_length=120, blank=True, help_text="Optional, e.g. initials; never sent by e-mail or to the board."
    )
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="cases")
    allocated_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="allocated_cases"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="unique_case_reference"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def label(self) -> str:
        return f"{self.reference} ({self.display_name})" if self.display_name else self.reference
