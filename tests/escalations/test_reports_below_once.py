"""The read rule walks a manager's chain once a request, not once for every action a page offers."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from audit.services import request_in_flight
from escalations.models import Escalation
from organisations.models import User

pytestmark = pytest.mark.django_db


def _chain_reads(queries) -> int:
    return sum('"line_manager_id" IN' in q["sql"] for q in queries.captured_queries)


def test_within_a_request_the_chain_is_read_once_and_outside_each_time(demo):
    manager = User.objects.get(username="bexley-service-manager")
    assert manager.reports_below(), "the demo's service manager manages people"
    request = RequestFactory().get("/")
    request.user = manager
    with request_in_flight(request), CaptureQueriesContext(connection) as inside:
        first = set(Escalation.objects.visible_to(manager).values_list("pk", flat=True))
        second = set(Escalation.objects.visible_to(manager).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as outside:
        third = set(Escalation.objects.visible_to(manager).values_list("pk", flat=True))
        set(Escalation.objects.visible_to(manager).values_list("pk", flat=True))
    assert first == second == third and first
    levels = _chain_reads(outside) // 2
    assert levels >= 2
    assert _chain_reads(inside) == levels


def test_another_request_reads_the_chain_afresh(demo):
    manager = User.objects.get(username="bexley-service-manager")
    for _ in range(2):
        request = RequestFactory().get("/")
        with request_in_flight(request), CaptureQueriesContext(connection) as queries:
            Escalation.objects.visible_to(manager).exists()
        assert _chain_reads(queries) >= 2
