"""Writes on cases."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from .models import Case

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/_.]{0,63}$")


def case_get_or_create(*, organisation, reference: str, display_name: str = "", created_by=None) -> tuple[Case, bool]:
    """Return the organisation's case with this reference, creating it if it is new."""
    reference = (reference or "").strip()
    errors = {}
    if not reference:
        errors["reference"] = ["Enter the case reference from the case-management system."]
    elif not REFERENCE_PATTERN.match(reference):
        errors["reference"] = ["A reference has letters, digits and - / _ . only, up to 64 characters."]
    if len(display_name or "") > 120:
        errors["display_name"] = ["The display name must be 120 characters or fewer."]
    if errors:
        raise ValidationError(errors)
    case, created = Case.objects.get_or_create(
        organisation=organisation,
        reference=reference,
        defaults={"display_name": (display_name or "").strip(), "allocated_worker": created_by},
    )
    return case, created
