"""The timeline's one builder and its function per kind: each builds the entry its service writes."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from escalations import events, services
from escalations.attachments import attachment_create
from escalations.models import Escalation, TimelineEntry
from tests.conftest import at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


def written(entry: TimelineEntry) -> tuple:
    return (entry.action, entry.actor_id, entry.from_state, entry.to_state, entry.stage_index, entry.note,
            entry.params)


def last_entry(escalation: Escalation) -> TimelineEntry:
    return escalation.timeline.order_by("pk").last()


def assert_builds_what_was_written(built: TimelineEntry, escalation: Escalation) -> None:
    """The function of the kind, given what the service was given, builds the entry the service wrote."""
    assert built.pk is None  # built, not saved
    assert written(built) == written(last_entry(escalation))


@pytest.fixture
def bexley(raise_escalation, travel):
    travel(TUESDAY_10AM)
    return raise_escalation("bexley-practitioner", "bexley-internal")


@pytest.fixture
def wiltshire(raise_escalation, travel):
    travel(TUESDAY_10AM)
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


def test_raised(bexley, people):
    assert_builds_what_was_written(
        events.raised(bexley, actor=people["bexley-practitioner"], concern=last_entry(bexley).note), bexley)


def test_meeting_arranged(bexley, people):
    meeting_at = at(2026, 11, 10, 15, 0)
    esc = services.escalation_arrange_meeting(escalation=bexley, actor=people["bexley-team-manager"],
                                              meeting_at=meeting_at)
    assert_builds_what_was_written(
        events.meeting_arranged(esc, actor=people["bexley-team-manager"], from_state="open", meeting_at=meeting_at),
        esc)


def test_responded_then_accepted_withdrawn_and_reopened(bexley, people):
    manager, raiser = people["bexley-team-manager"], people["bexley-practitioner"]
    esc = services.escalation_respond(escalation=bexley, actor=manager, decision="agree", rationale="Agreed.")
    assert_builds_what_was_written(events.responded(esc, actor=manager, from_state="open", rationale="Agreed."), esc)
    esc = services.escalation_accept(escalation=esc, actor=raiser, agreed_outcome="Reassess.",
                                     outstanding_actions="None.")
    assert_builds_what_was_written(events.accepted(esc, actor=raiser, from_state="responded"), esc)
    esc = services.escalation_reopen(escalation=esc, actor=raiser, reason="Overturned.")
    assert_builds_what_was_written(events.reopened(esc, actor=raiser, from_state="resolved", reason="Overturned.",
                                                   at=last_entry(esc).at), esc)
    esc = services.escalation_withdraw(escalation=esc, actor=raiser, reason="Settled.")
    assert_builds_what_was_written(events.withdrawn(esc, actor=raiser, from_state="open", reason="Settled."), esc)


def test_escalated_and_skipped(raise_escalation, people, travel):
    travel(TUESDAY_10AM)
    raiser = people["bexley-practitioner"]
    esc = services.escalation_escalate(escalation=raise_escalation("bexley-practitioner", "bexley-internal"),
                                       actor=raiser, reason="Still unsafe.")
    assert_builds_what_was_written(events.escalated(esc, actor=raiser, from_state="open", reason="Still unsafe.",
                                                    at=last_entry(esc).at), esc)
    crm = people["stoke-crm"]
    esc = services.escalation_skip(escalation=raise_escalation("stoke-crm", "stoke-crm"), actor=crm, to_stage=2,
                                   reason="Urgent.")
    assert_builds_what_was_written(events.skipped(esc, actor=crm, from_state="open", reason="Urgent.",
                                                  at=last_entry(esc).at), esc)


def test_reassigned(bexley, people):
    manager, previous = people["bexley-service-manager"], bexley.holder
    cover = UserFactory(username="bexley-cover-manager", organisation=previous.organisation, role="team_manager",
                        line_manager=manager)
    esc = services.escalation_reassign(escalation=bexley, actor=manager, new_holder=cover, reason="Leave.")
    assert_builds_what_was_written(events.reassigned(esc, actor=manager, reason="Leave.", previous_holder=previous),
                                   esc)


def test_note_added_and_logged_with_board(wiltshire, people):
    manager = people["wiltshire-social-worker"]
    esc = services.escalation_add_note(escalation=wiltshire, actor=manager, note="Phoned the nursery.")
    assert_builds_what_was_written(events.note_added(esc, actor=manager, note="Phoned the nursery."), esc)
    esc = services.escalation_log_with_board(escalation=esc, actor=manager, reason="Third referral.")
    assert_builds_what_was_written(events.logged_with_board(esc, actor=manager, reason="Third referral."), esc)


def test_mediation_started_and_ended(wiltshire, people):
    actor, mediator = people["wiltshire-social-worker"], people["wiltshire-qap-chair"]
    esc = services.escalation_start_mediation(escalation=wiltshire, actor=actor, mediator=mediator)
    assert_builds_what_was_written(events.mediation_started(esc, actor=actor, from_state="open", mediator=mediator),
                                   esc)
    esc = services.escalation_end_mediation(escalation=esc, actor=actor, note="No agreement.", agreed=False)
    assert_builds_what_was_written(events.mediation_ended(esc, actor=actor, from_state="in_mediation",
                                                          note="No agreement.", agreed=False), esc)


def test_attachment_added(bexley, people, settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    actor = people["bexley-team-manager"]
    attachment = attachment_create(escalation=bexley, actor=actor,
                                   upload=SimpleUploadedFile("notes.txt", b"Notes.", content_type="text/plain"),
                                   description="Meeting notes")
    assert_builds_what_was_written(events.attachment_added(bexley, actor=actor, attachment_id=attachment.pk,
                                                           name="notes.txt", size=6, description="Meeting notes"),
                                   bexley)


def test_ladder_version_changed_names_both_versions(bexley, people):
    entry = events.timeline_add(events.ladder_version_changed(
        bexley, actor=people["bexley-psw"], ladder_name="Bexley internal escalation", kept_version=1,
        new_version=2))
    assert (entry.action, entry.from_state, entry.to_state, entry.actor) == (
        "ladder_version_changed", "open", "open", people["bexley-psw"])
    assert entry.params == {"ladder": bexley.ladder_id, "version": 1, "current_version": 2}
    assert "keeps the rules of version 1" in entry.note
    assert events.ACTION_LABELS[entry.action] == "Procedure edited"


def test_a_batch_of_entries_is_written_in_one_statement(bexley, people, django_assert_num_queries):
    entries = [events.note_added(bexley, actor=people["bexley-practitioner"], note=f"Note {n}.") for n in range(3)]
    with django_assert_num_queries(1):
        events.timeline_add_many(entries)
    notes = list(bexley.timeline.filter(action="note").order_by("pk").values_list("note", "actor_id", "stage_index"))
    assert notes == [(f"Note {n}.", people["bexley-practitioner"].pk, 0) for n in range(3)]
