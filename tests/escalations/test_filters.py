"""The lists' filters: status by group or state, procedure by any version, a bad value reported and ignored."""
import pytest

from escalations import services
from escalations.filters import EscalationListFilter
from escalations.ladder_versions import ladder_freeze_for_edit
from escalations.models import Escalation
from policies.models import Ladder

pytestmark = pytest.mark.django_db


def listed(query, *, default_state="all"):
    filterset = EscalationListFilter(query, queryset=Escalation.objects.order_by("pk"),
                                     ladders=Ladder.objects.current(), default_state=default_state)
    return filterset, list(filterset.qs)


@pytest.fixture
def live_and_withdrawn(raise_escalation, people):
    live = raise_escalation("bexley-practitioner", "bexley-internal")
    gone = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_withdraw(escalation=gone, actor=people["bexley-practitioner"], reason="Sorted.")
    return live, gone


def test_a_bad_filter_is_reported_and_not_applied(live_and_withdrawn):
    filterset, rows = listed({"state": "lost", "ladder": "nope"})
    assert filterset.errors == {"state": ["Choose a status from the list"],
                                "ladder": ["Choose a procedure from the list"]}
    assert rows == list(live_and_withdrawn) and not filterset.filtered


def test_a_state_group_or_one_state_is_applied(live_and_withdrawn):
    live, gone = live_and_withdrawn
    assert listed({"state": "live"})[1] == [live]
    assert listed({"state": "closed"})[1] == [gone]
    assert listed({"state": "withdrawn"})[1] == [gone]
    filterset, rows = listed({"state": "all"}, default_state="live")
    assert rows == [live, gone] and filterset.filtered


def test_a_good_filter_is_applied_over_the_default_state(raise_escalation, people, ladders):
    stoke = raise_escalation("stoke-crm", "stoke-crm")
    services.escalation_withdraw(escalation=stoke, actor=people["stoke-crm"], reason="Sorted.")
    raise_escalation("stoke-crm", "stoke-crm")
    filterset, rows = listed({"state": "closed", "ladder": "stoke-crm"}, default_state="live")
    assert filterset.form.cleaned_data == {"state": "closed", "ladder": ladders["stoke-crm"]}
    assert rows == [stoke]


def test_the_default_state_applies_until_a_state_is_chosen(live_and_withdrawn):
    live, _gone = live_and_withdrawn
    assert listed(None, default_state="live")[1] == [live]
    assert listed({"page": "2"}, default_state="live")[1] == [live]
    filterset, _rows = listed(None, default_state="live")
    assert filterset.form["state"].value() == "live" and not filterset.filtered


def test_a_procedure_finds_the_escalations_on_its_earlier_versions(raise_escalation, django_user_model):
    earlier = raise_escalation("bexley-practitioner", "bexley-internal")
    admin = django_user_model.objects.create_superuser("site-admin", "admin@example.org", "x-long-pass-2026")
    ladder_freeze_for_edit(ladder_id=Ladder.objects.current().get(slug="bexley-internal").pk, actor=admin)
    later = raise_escalation("bexley-practitioner", "bexley-internal")
    other = raise_escalation("stoke-crm", "stoke-crm")
    filterset, rows = listed({"ladder": "bexley-internal"})
    assert rows == [earlier, later] and other not in rows and filterset.filtered
