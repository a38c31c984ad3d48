"""The PSW's overview reads her organisation's live escalations without asking ``visible_to`` again:
the rows must be exactly the live ones ``visible_to`` gives her of her organisation, and nobody else
gets any."""
from __future__ import annotations

import pytest
from django.db.models import Q

from escalations.models import Escalation
from organisations.models import User
from oversight.selectors import psw_escalations

pytestmark = pytest.mark.django_db


def test_the_overview_holds_exactly_the_live_escalations_visible_to_the_psw_of_her_organisation(demo):
    users = User.objects.filter(username__in=[
        "bexley-psw", "stoke-psw", "wiltshire-psw", "bexley-social-worker", "bexley-team-manager",
        "stoke-social-worker", "wiltshire-qap-chair", "admin",
    ])
    assert users.count() >= 5
    checked_a_psw = False
    for user in users:
        ours = set(psw_escalations(user=user).values_list("pk", flat=True))
        if user.role == "psw" and not (user.is_platform_staff or user.is_administrator):
            org = user.organisation_id
            expected = set(Escalation.objects.visible_to(user).live().filter(
                Q(raising_organisation_id=org) | Q(receiving_organisation_id=org)).values_list("pk", flat=True))
            assert ours == expected and ours, user.username
            checked_a_psw = True
        else:
            assert ours == set(), user.username
    assert checked_a_psw
