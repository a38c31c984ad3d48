"""Editing a ladder keeps each escalation on the version it was raised on, with a timeline entry each."""
import pytest

from escalations.events import ACTION_LABELS
from escalations.ladder_versions import escalations_ladder_repoint, ladder_freeze_for_edit
from escalations.models import TimelineEntry
from policies.models import Ladder

pytestmark = pytest.mark.usefixtures("seeded_once")


@pytest.fixture
def site_admin(django_user_model):
    return django_user_model.objects.create_superuser("site-admin", "admin@example.org", "x-long-pass-2026")


def test_freezing_for_an_edit_moves_every_escalation_on_the_ladder_to_the_frozen_copy(raise_escalation, site_admin):
    live = raise_escalation("bexley-practitioner", "bexley-internal")
    responded_to = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    elsewhere = raise_escalation("stoke-crm", "stoke-crm")
    ladder = Ladder.objects.current().get(slug="bexley-internal")

    frozen = ladder_freeze_for_edit(ladder_id=ladder.pk, actor=site_admin)

    assert (frozen.version, frozen.is_current, Ladder.objects.get(pk=ladder.pk).version) == (1, False, 2)
    for esc in (live, responded_to):
        esc.refresh_from_db()
        assert esc.ladder_id == frozen.pk
    elsewhere.refresh_from_db()
    assert elsewhere.ladder.slug == "stoke-crm" and elsewhere.ladder.is_current


def test_each_escalation_moved_gets_one_entry_naming_the_admin_and_both_versions(raise_escalation, site_admin):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    other = raise_escalation("stoke-crm", "stoke-crm")
    ladder = Ladder.objects.current().get(slug="bexley-internal")

    frozen = ladder_freeze_for_edit(ladder_id=ladder.pk, actor=site_admin)

    entry = TimelineEntry.objects.get(escalation=esc, action="ladder_version_changed")
    assert (entry.actor, entry.from_state, entry.to_state, entry.stage_index) == (
        site_admin, esc.state, esc.state, esc.stage_index)
    assert entry.note == ("Bexley internal escalation procedure was edited (now version 2); this escalation "
                          "keeps the rules of version 1.")
    assert entry.params == {"ladder": frozen.pk, "version": 1, "current_version": 2}
    assert not TimelineEntry.objects.filter(escalation=other, action="ladder_version_changed").exists()
    assert ACTION_LABELS["ladder_version_changed"] == "Procedure edited"


def test_a_second_edit_moves_only_the_escalations_raised_on_the_version_being_edited(raise_escalation, site_admin):
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    version_1 = ladder_freeze_for_edit(ladder_id=ladder.pk, actor=site_admin)
    second = raise_escalation("bexley-practitioner", "bexley-internal")

    version_2 = ladder_freeze_for_edit(ladder_id=ladder.pk, actor=site_admin)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.ladder_id, second.ladder_id) == (version_1.pk, version_2.pk)
    assert first.timeline.filter(action="ladder_version_changed").count() == 1
    assert second.timeline.get(action="ladder_version_changed").note.endswith(
        "was edited (now version 3); this escalation keeps the rules of version 2.")


def test_a_ladder_without_escalations_moves_none(site_admin):
    ladder = Ladder.objects.current().get(slug="bs3-nursery")
    frozen = Ladder.objects.get(pk=ladder.pk)
    assert escalations_ladder_repoint(from_ladder=ladder, to_ladder=frozen, actor=site_admin) == 0
    assert not TimelineEntry.objects.exists()
