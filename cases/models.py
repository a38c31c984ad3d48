"""A child's case, known by the case-management system's reference; as little as possible else."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from organisations.models import Organisation


class CaseQuerySet(models.QuerySet):
    """Named filters that need nothing but cases; who may see a case is ``escalations.cases``."""

    def of_organisation(self, organisation: Organisation | int | None) -> CaseQuerySet:
        """The cases an organisation owns (an ``Organisation`` or its id)."""
        return self.filter(organisation=organisation)


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
    # When the retention period erased its reference and display name (escalations.retention): every
    # escalation on it was anonymised, or it never had one.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="unique_case_reference"),
        ]

    def __str__(self) -> str:
        return self.reference

    def name_readable_by(self, user) -> bool:
        """Say whether this person may read the child's display name: staff of the owning organisation
        only, never a partner agency, a board user or a platform account (CONTRACT section 8.6)."""
        return bool(
            getattr(user, "is_authenticated", False)
            and not user.is_platform_staff
            and user.organisation_id is not None
            and user.organisation_id == self.organisation_id
        )

    def display_name_for(self, user) -> str:
        """The display name as this person may read it: the name, or nothing."""
        return self.display_name if self.name_readable_by(user) else ""

    @property
    def label(self) -> str:
        return f"{self.reference} ({self.display_name})" if self.display_name else self.reference
