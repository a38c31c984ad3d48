"""Which cases a person may see: their organisation's, and the cases of escalations they may see.

The rule reads escalations, so it lives here and not in ``cases`` (which imports no escalation).
"""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from cases.models import Case
from organisations.models import User

from .models import Escalation


def reads_cases(user: User | AnonymousUser) -> bool:
    """Say whether this person may see cases at all: board users see none (aggregates only; the QA&P chair
    reads the escalations logged with the board, not the cases), nor do administrators, nor does a platform
    account (a Django superuser or staff account is not a party, CONTRACT 8.6)."""
    return bool(user.is_authenticated and not (user.is_board_user or user.is_administrator
                                               or user.is_platform_staff))


def case_list_visible(*, user: User | AnonymousUser) -> QuerySet[Case]:
    """Cases this person may see (``reads_cases``), with their organisation, by reference."""
    if not user.is_authenticated or not reads_cases(user):
        return Case.objects.none()
    cases = (
        Case.objects.of_organisation(user.organisation_id)
        | Case.objects.filter(pk__in=Escalation.objects.visible_to(user).values("case_id"))
    )
    return cases.select_related("organisation", "allocated_worker").order_by("reference", "pk")
