"""Writes on cases."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from .models import Case

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/_.]{0,63}$")


def case_get_or_create(*, organisation, reference: str, display_name: str = "", created_by=None,
                       allocated_worker=None) -> tuple[Case, bool]:
    """Return the organisation's case with this reference, creating it if it is new.

    ``allocated_worker``: the member of the organisation's staff the case is allocated to (Stoke 4: the
    social worker); recorded on a new case, or on a known one that has none yet.
    """
    reference = (reference or "").strip()
    errors = {}
    if not reference:
        errors["reference"] = ["Enter the case reference from the case-management system."]
    elif not REFERENCE_PATTERN.match(reference):
        errors["reference"] = ["A reference has letters, digits and - / _ . only, up to 64 characters."]
    if len(display_name or "") > 120:
        errors["display_name"] = ["The display name must be 120 characters or fewer."]
    if allocated_worker is not None and (
            not allocated_worker.is_active or allocated_worker.organisation_id != getattr(organisation, "pk", None)):
        errors["allocated_worker"] = ["Choose an active member of your organisation's staff as the allocated worker."]
    if errors:
        raise ValidationError(errors)
    case, created = Case.objects.get_or_create(
        organisation=organisation,
        reference=reference,
        defaults={"display_name": (display_name or "").strip(), "allocated_worker": allocated_worker},
    )
    if not created and allocated_worker is not None and case.allocated_worker_id is None:
        case.allocated_worker = allocated_worker
        case.save(update_fields=["allocated_worker"])
    return case, created


def case_allocated_worker_set(*, case: Case, worker) -> Case:
    """Allocate the case to ``worker`` (an active member of its organisation's staff), or to nobody (None).

    Only the case changes here: ``escalations.services.case_allocated_worker_change`` is the door that also
    makes its live escalations follow.
    """
    if worker is not None and (not worker.is_active or worker.organisation_id != case.organisation_id
                               or worker.is_board_user or worker.is_administrator):
        raise ValidationError({"allocated_worker": [
            "Choose an active member of the case's organisation's staff as the allocated worker."]})
    case.allocated_worker = worker
    case.save(update_fields=["allocated_worker"])
    return case
