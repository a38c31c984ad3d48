"""`seed_demo` loads CONTRACT section 4: fictional people, cases and escalations in every state; a second
run changes nothing."""
import io

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case
from escalations.models import Escalation, State, TimelineEntry
from notifications.models import Notification
from organisations.models import User
from policies.models import Ladder

pytestmark = pytest.mark.django_db


def _demo_counts():
    return {
        "users": User.objects.count(),
        "cases": Case.objects.count(),
        "escalations": Escalation.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "ladders": Ladder.objects.count(),
    }


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    before = _demo_counts()
    assert before["escalations"] > 0 and before["notifications"] > 0
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    assert _demo_counts() == before


def test_seed_demo_refuses_to_run_with_debug_off_without_its_flag(db, settings):
    """CONTRACT 8.6: the demo's people share one published password, so production never gets them."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert _demo_counts()["users"] == 0 and not User.objects.filter(username="admin").exists()


def test_seed_demo_runs_with_debug_on(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.filter(username="bexley-practitioner").exists()


def test_seed_demo_has_escalations_in_every_state(demo):
    assert set(Escalation.objects.values_list("state", flat=True)) == set(State.values)


def test_seed_demo_creates_every_demo_user_of_the_contract(demo):
    expected = {
        "bexley-practitioner", "bexley-team-manager", "bexley-service-manager", "bexley-head-of-service",
        "bexley-deputy-director", "bexley-director", "bexley-psw",
        "stoke-crm", "stoke-social-worker", "stoke-team-manager", "stoke-service-manager",
        "stoke-strategic-manager", "stoke-assistant-director", "stoke-director", "stoke-psw",
        "wiltshire-social-worker", "wiltshire-team-manager", "wiltshire-service-manager",
        "wiltshire-head-of-service", "puddleducks-practitioner", "puddleducks-designated-safeguarding-lead",
        "puddleducks-nursery-manager", "puddleducks-owner", "wiltshire-qap-chair", "wiltshire-board-member",
        "bs3-practitioner", "bs3-designated-safeguarding-lead", "bs3-nursery-manager", "bristol-social-worker",
        "bristol-team-manager", "bristol-service-manager", "bristol-head-of-service",
    }
    assert expected <= set(User.objects.values_list("username", flat=True))
    user = User.objects.get(username="bexley-practitioner")
    assert user.check_password("demo-pass-2026")


def test_seed_demo_line_management_of_bexley(demo):
    practitioner = User.objects.get(username="bexley-practitioner")
    assert [m.username for m in practitioner.line_managers()] == [
        "bexley-team-manager", "bexley-service-manager", "bexley-head-of-service",
        "bexley-deputy-director", "bexley-director",
    ]


def test_seed_demo_cases_are_fictional(demo):
    assert Case.objects.exists()
    assert not Case.objects.exclude(reference__startswith="DEMO-").exists()


def test_seed_demo_gives_every_dashboard_something(demo):
    assert Escalation.objects.overdue().exists()
    assert Escalation.objects.filter(board_logged_at__isnull=False).exists()
    for username in ("bexley-team-manager", "stoke-team-manager", "wiltshire-social-worker", "bristol-social-worker"):
        assert Escalation.objects.live().filter(holder__username=username).exists(), username
    for username in ("bexley-psw", "stoke-psw"):
        psw = User.objects.get(username=username)
        assert Escalation.objects.visible_to(psw).exists(), username


def test_seed_demo_escalations_have_a_consistent_history(demo):
    """Each begins with its raise, ends in its current state and stage, and is seen by raiser and holder."""
    for escalation in Escalation.objects.select_related("raised_by", "holder"):
        entries = list(escalation.timeline.all())
        assert entries[0].action == "raise", escalation.pk
        assert entries[-1].to_state == escalation.state, escalation.pk
        assert entries[-1].stage_index == escalation.stage_index, escalation.pk
        assert escalation.raised_by.has_perm("escalations.view_escalation", escalation)
        if escalation.holder_id:
            assert escalation.holder.has_perm("escalations.view_escalation", escalation)
