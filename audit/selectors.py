"""Reading the access log: a PSW reads the rows about her organisation's escalations."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from organisations.models import User

from .models import AccessEvent


def access_log_for(*, user: User) -> QuerySet[AccessEvent]:
    """The rows about escalations raised by or against the reader's organisation, newest first.

    Only a PSW may call it (``audit.read_access_log``); the caller checks.
    """
    organisation_id = user.organisation_id
    return (
        AccessEvent.objects.filter(escalation_id__isnull=False)
        .filter(Q(organisation_id=organisation_id) | Q(partner_organisation_id=organisation_id))
        .order_by("-at", "-pk")
    )
