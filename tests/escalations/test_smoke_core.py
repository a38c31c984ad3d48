"""A first pass over the life of an escalation through the services."""
import pytest

from tests.conftest import at
from escalations import services
from escalations.models import State

pytestmark = pytest.mark.django_db


def test_standard_bexley_escalation_climbs_and_resolves(raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.state == State.OPEN and esc.holder.username == "bexley-team-manager"
    assert esc.stage_deadline == at(2026, 11, 11, 17, 0)
    esc = services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold", rationale="x")
    assert esc.state == State.RESPONDED
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="still unsafe")
    assert esc.state == State.OPEN and esc.stage_index == 1 and esc.holder.username == "bexley-service-manager"
    assert [e.action for e in esc.timeline.all()] == ["raise", "respond", "escalate"]
