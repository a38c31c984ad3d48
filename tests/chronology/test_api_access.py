"""Who gets a case's chronology from the API, for every person of the demo: the access matrix's principals, asked
about the matrix's cases by reference (a parameter, so the matrix itself sees only the endpoint's 400)."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from escalations.models import Escalation
from organisations.models import User
from tests.demo.conftest import demo_once  # noqa: F401 (the module's demo)
from tests.security.test_access_matrix import ESCALATIONS, NEVER_PARTIES, STAFF_KINDS, Principal, sees

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]


def may_see_case(principal: Principal, case: Case) -> bool:
    """The rule for a case: staff of its organisation, and whoever sees one of its escalations, but never a board
    user, an administrator or a platform account."""
    user = principal.user
    if user is None or principal.kind in NEVER_PARTIES | {"qap_chair"}:
        return False  # board users (the QA&P chair too) and administrators see no case (escalations/cases.py)
    own = principal.kind in STAFF_KINDS and user.organisation_id == case.organisation_id
    return own or any(sees(principal, escalation) for escalation in case.escalations.all())


@pytest.mark.parametrize("reference", [reference for reference, _ in ESCALATIONS])
def test_every_demo_person_gets_the_chronology_exactly_where_the_rules_let_them(reference, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    case = Case.objects.get(reference=reference)
    wrong = []
    for user in User.objects.order_by("username"):
        principal = Principal(user.username, user)
        client = APIClient()
        client.force_authenticate(user)
        response = client.get("/api/v1/cases/chronology/", {"reference": reference})
        missing = client.get("/api/v1/cases/chronology/", {"reference": "DEMO-XX-0000"})
        if not may_see_case(principal, case):
            if (response.status_code, response.content) != (404, missing.content):
                wrong.append(f"{user.username}: {response.status_code}, expected the 404 of a missing case")
            continue
        if response.status_code != 200:
            wrong.append(f"{user.username}: {response.status_code}, expected 200")
            continue
        document = response.json()
        expected = sorted(esc.pk for esc in Escalation.objects.filter(case=case) if sees(principal, esc))
        if sorted(esc["number"] for esc in document["escalations"]) != expected:
            wrong.append(f"{user.username}: escalations {[e['number'] for e in document['escalations']]}, "
                         f"expected {expected}")
        readable = user.organisation_id == case.organisation_id and not user.is_platform_staff
        if case.display_name and (case.display_name in response.content.decode()) != readable:
            wrong.append(f"{user.username}: the child's name {'missing' if readable else 'shown'}")
    assert not wrong, "\n".join(wrong)
    anonymous = APIClient().get("/api/v1/cases/chronology/", {"reference": reference})
    assert anonymous.status_code in (401, 403)
