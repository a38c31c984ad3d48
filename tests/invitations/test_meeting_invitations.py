"""Meeting invitations (issue 16, item 4), read back from the e-mails the parties were sent.

Every action goes through the escalation's door (``escalations.services``); the e-mails are the locmem
backend's outbox, sent once the change commits; each calendar is parsed with ``icalendar``. What is checked
is what a calendar would see: METHOD, UID, SEQUENCE, STATUS, DTSTART and its VTIMEZONE, the organiser and
the attendees, and that no child's name and no case reference is anywhere in any message.
"""
import datetime as dt
from email import message_from_bytes

import pytest
from django.core import mail
from django.db import transaction
from icalendar import Calendar

from cases.services import case_get_or_create
from deadlines.sweep import deadlines_sweep
from escalations import services
from escalations.models import Escalation, State
from notifications.models import Invitation
from policies.models import Ladder
from tests.conftest import LONDON, at
from tests.factories import bristol_third_agency, resolution_panel_for_test

pytestmark = pytest.mark.django_db

CHILD = "Zebedee Quartermaine"  # a display name no template could produce by chance
REFERENCE = "LCS-777001"
TUESDAY_10AM = at(2026, 11, 10, 10, 0)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://tracker.example.org"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run each change's after-commit callbacks (the e-mail) as a committed request would."""
    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()
    return run


def raise_on_named_case(people, *, risk_level="standard"):
    """A Bexley escalation whose case, concern and decision all carry the child's display name."""
    user = people["bexley-practitioner"]
    case, _ = case_get_or_create(organisation=user.organisation, reference=REFERENCE, display_name=CHILD)
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    return services.escalation_raise(
        raised_by=user, case=case, ladder=ladder, risk_level=risk_level, category=ladder.categories.first().slug,
        decision_challenged=f"Closing the case of {CHILD}.", concern=f"{CHILD} was seen with bruises.",
        basis="evidence", desired_outcome=f"Assess {CHILD} again.",
    )


@pytest.fixture
def bexley(people, travel):
    travel(TUESDAY_10AM)
    return raise_on_named_case(people)


def reload(escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def arrange(escalation, when, committed):
    """Arrange the stage's meeting, or move it where one is arranged already."""
    current = reload(escalation)
    service = (services.escalation_move_meeting if current.state == State.MEETING_ARRANGED
               else services.escalation_arrange_meeting)
    return committed(lambda: service(escalation=reload(escalation), actor=reload(escalation).holder, meeting_at=when))


# --- reading what was sent -------------------------------------------------------------------------------
def calendar_parts(message):
    """The text/calendar parts of a sent e-mail, as (Content-Type method parameter, text)."""
    parsed = message_from_bytes(message.message().as_bytes())
    return [(part.get_param("method"), part.get_payload(decode=True).decode("utf-8"))
            for part in parsed.walk() if part.get_content_type() == "text/calendar"]


def invitations(outbox=None):
    """Each invitation e-mail sent, as (recipient, message, parsed calendar)."""
    found = []
    for message in outbox if outbox is not None else mail.outbox:
        parts = calendar_parts(message)
        if parts:
            found.append((message.to[0], message, Calendar.from_ical(parts[0][1])))
    return found


def event_of(calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def attendees(event) -> set[str]:
    values = event.get("ATTENDEE")
    values = values if isinstance(values, list) else [values]
    return {str(value) for value in values}


# --- arranging --------------------------------------------------------------------------------------------
def test_arranging_a_meeting_e_mails_each_party_a_calendar_request(bexley, people, committed):
    meeting_at = at(2026, 11, 12, 14, 30)
    arrange(bexley, meeting_at, committed)
    sent = invitations()
    assert sorted(to for to, _, _ in sent) == ["bexley-practitioner@example.org", "bexley-team-manager@example.org"]
    uids = set()
    for _to, message, calendar in sent:
        assert message.subject == (f"[Escalation Tracker] Invitation: Escalation meeting: escalation {bexley.pk} "
                                   "stage 0 (Team Manager)")
        assert str(calendar["METHOD"]) == "REQUEST" and str(calendar["VERSION"]) == "2.0"
        assert str(calendar["PRODID"]) == "-//Escalation Tracker//Meeting invitations//EN"
        event = event_of(calendar)
        uids.add(str(event["UID"]))
        assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == f"Escalation meeting: escalation {bexley.pk} stage 0 (Team Manager)"
        assert str(event["DESCRIPTION"]) == f"The escalation: https://tracker.example.org/escalations/{bexley.pk}/"
        assert event.decoded("DTSTART") == meeting_at
        assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=1)
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert str(event["ORGANIZER"]) == "mailto:bexley-team-manager@example.org"
        assert event["ORGANIZER"].params["CN"] == people["bexley-team-manager"].display_name
        assert attendees(event) == {"mailto:bexley-practitioner@example.org", "mailto:bexley-team-manager@example.org"}
        for attendee in event["ATTENDEE"]:
            assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("NEEDS-ACTION", "TRUE")
    (uid,) = uids
    assert uid.startswith(f"escalation-{bexley.pk}-stage-0-") and uid.endswith("@tracker.example.org")


def test_the_calendar_is_both_the_method_s_alternative_and_an_ics_attachment(bexley, committed):
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    _, message, _ = invitations()[0]
    ((method, text),) = [part for part in calendar_parts(message)]
    assert method == "REQUEST"
    (attachment,) = message.attachments
    assert (attachment[0], attachment[2]) == ("meeting.ics", "application/ics")
    # The same calendar (a text part's lines end as the mail's do: CRLF on the wire).
    assert attachment[1].decode("utf-8").splitlines() == text.splitlines()
    assert f"escalation {bexley.pk}" in message.body and "Thursday 12 November 2026 at 2:30pm" in message.body


@pytest.mark.parametrize(("today", "meeting_at", "local_line", "offset"), [
    # British Summer Time: 2:30pm in London is 13:30 UTC.
    (at(2027, 6, 1, 10, 0), at(2027, 7, 14, 14, 30), "DTSTART;TZID=Europe/London:20270714T143000",
     dt.timedelta(hours=1)),
    # Greenwich Mean Time: 2:30pm in London is 14:30 UTC.
    (TUESDAY_10AM, at(2026, 12, 15, 14, 30), "DTSTART;TZID=Europe/London:20261215T143000", dt.timedelta(0)),
])
def test_the_meeting_is_at_london_s_hour_with_its_vtimezone_in_summer_and_in_winter(
        people, travel, committed, today, meeting_at, local_line, offset):
    travel(today)
    escalation = raise_on_named_case(people)
    arrange(escalation, meeting_at, committed)
    _, message, calendar = invitations()[0]
    text = calendar_parts(message)[0][1]
    assert local_line in text.splitlines()
    event = event_of(calendar)
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART").astimezone(dt.UTC) == meeting_at.astimezone(dt.UTC)
    assert meeting_at.utcoffset() == offset
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/London"
    # The VTIMEZONE alone (not the reader's own time zone data) puts the meeting at the same instant.
    defined = timezone.to_tz()
    wall_clock = meeting_at.astimezone(LONDON).replace(tzinfo=None)
    assert wall_clock.replace(tzinfo=defined).utcoffset() == offset
    assert {component.name for component in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_moving_the_meeting_sends_an_update_with_the_same_uid_and_a_higher_sequence(bexley, committed):
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    first = {to: event_of(calendar) for to, _, calendar in invitations()}
    mail.outbox.clear()
    arrange(bexley, at(2026, 11, 13, 9, 0), committed)
    second = invitations()
    assert {to for to, _, _ in second} == set(first)
    for to, message, calendar in second:
        event = event_of(calendar)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == str(first[to]["UID"])
        assert event["SEQUENCE"] == first[to]["SEQUENCE"] + 1 == 1
        assert event.decoded("DTSTART") == at(2026, 11, 13, 9, 0)
        assert message.subject.startswith("[Escalation Tracker] Updated invitation: ")
    assert list(reload(bexley).timeline.filter(action__in=("arrange_meeting", "move_meeting"))
                .order_by("pk").values_list("action", flat=True)) == ["arrange_meeting", "move_meeting"]


# --- cancelling ------------------------------------------------------------------------------------------
def assert_cancelled(sent, *, uid, sequence, people):
    assert sorted(to for to, _, _ in sent) == sorted(people)
    for _to, message, calendar in sent:
        event = event_of(calendar)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert calendar_parts(message)[0][0] == "CANCEL"
        assert str(event["UID"]) == uid and event["SEQUENCE"] == sequence
        assert str(event["STATUS"]) == "CANCELLED"
        assert message.subject.startswith("[Escalation Tracker] Cancelled: ")


PARTIES = ["bexley-practitioner@example.org", "bexley-team-manager@example.org"]


def test_resolving_cancels_a_meeting_still_to_come(bexley, people, committed):
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    uid = str(event_of(invitations()[0][2])["UID"])
    mail.outbox.clear()
    committed(lambda: services.escalation_respond(escalation=reload(bexley), actor=people["bexley-team-manager"],
                                                  decision="agree", rationale="Reassess first."))
    assert invitations() == []  # a decision alone leaves the meeting in place
    committed(lambda: services.escalation_accept(escalation=reload(bexley), actor=people["bexley-practitioner"],
                                                 agreed_outcome="Reassessed.", outstanding_actions="None."))
    assert_cancelled(invitations(), uid=uid, sequence=1, people=PARTIES)


def test_a_final_uphold_that_resolves_cancels_the_meeting(bexley, people, committed):
    """Bexley 3.5: the Deputy Director's decision is final; upholding it ends the escalation, and the meeting."""
    for _ in range(3):
        services.escalation_escalate(escalation=reload(bexley), actor=people["bexley-practitioner"],
                                     reason="Still unsafe.")
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    uid = str(event_of(invitations()[0][2])["UID"])
    mail.outbox.clear()
    committed(lambda: services.escalation_respond(
        escalation=reload(bexley), actor=people["bexley-deputy-director"], decision="uphold",
        rationale="The plan addresses the risk.", outstanding_actions="Reviewed at the next supervision."))
    assert_cancelled(invitations(), uid=uid, sequence=1,
                     people=["bexley-deputy-director@example.org", "bexley-practitioner@example.org"])


def test_mediation_ending_without_agreement_cancels_the_stage_s_meeting(raise_escalation, people, travel, committed):
    """Wiltshire 3c: back to the stage afresh after mediation; the meeting arranged before it is over."""
    travel(TUESDAY_10AM)
    escalation = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    arrange(escalation, at(2026, 11, 13, 11, 0), committed)
    sent = invitations()
    uid, invited = str(event_of(sent[0][2])["UID"]), [to for to, _, _ in sent]
    services.escalation_start_mediation(escalation=reload(escalation), actor=people["wiltshire-social-worker"],
                                        mediator=people["wiltshire-qap-chair"])
    mail.outbox.clear()
    committed(lambda: services.escalation_end_mediation(escalation=reload(escalation),
                                                        actor=people["wiltshire-qap-chair"],
                                                        note="No agreement yet.", agreed=False))
    assert_cancelled(invitations(), uid=uid, sequence=1, people=invited)


def test_withdrawing_cancels_the_meeting(bexley, people, committed):
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    arrange(bexley, at(2026, 11, 12, 16, 0), committed)
    uid = str(event_of(invitations()[0][2])["UID"])
    mail.outbox.clear()
    committed(lambda: services.escalation_withdraw(escalation=reload(bexley), actor=people["bexley-practitioner"],
                                                   reason="Settled by phone."))
    assert_cancelled(invitations(), uid=uid, sequence=2, people=PARTIES)


def test_escalating_cancels_the_old_stage_s_meeting_and_the_next_one_is_another_meeting(bexley, people, committed):
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    old_uid = str(event_of(invitations()[0][2])["UID"])
    mail.outbox.clear()
    committed(lambda: services.escalation_escalate(escalation=reload(bexley), actor=people["bexley-practitioner"],
                                                   reason="Still unsafe."))
    assert_cancelled(invitations(), uid=old_uid, sequence=1, people=PARTIES)
    mail.outbox.clear()
    arrange(bexley, at(2026, 11, 12, 15, 0), committed)
    sent = invitations()
    assert sorted(to for to, _, _ in sent) == ["bexley-practitioner@example.org", "bexley-service-manager@example.org"]
    event = event_of(sent[0][2])
    assert str(event["UID"]) != old_uid and str(event["UID"]).startswith(f"escalation-{bexley.pk}-stage-1-")
    assert event["SEQUENCE"] == 0 and str(event["ORGANIZER"]) == "mailto:bexley-service-manager@example.org"


def test_the_clock_advancing_past_a_late_meeting_cancels_it(people, travel, committed):
    """Significant harm at the Service Manager, due 5pm the same day: a meeting set for next week does not
    stop the clock (CONTRACT 8.4), and when the clock moves the escalation on, the meeting is cancelled."""
    travel(TUESDAY_10AM)
    escalation = raise_on_named_case(people, risk_level="significant_harm")
    arrange(escalation, TUESDAY_10AM + dt.timedelta(days=7), committed)
    uid = str(event_of(invitations()[0][2])["UID"])
    mail.outbox.clear()
    travel(at(2026, 11, 10, 17, 5))
    committed(deadlines_sweep)
    assert reload(escalation).stage_index == 2
    assert_cancelled(invitations(), uid=uid, sequence=1,
                     people=["bexley-practitioner@example.org", "bexley-service-manager@example.org"])


def test_a_meeting_that_has_taken_place_is_not_cancelled(bexley, people, travel, committed):
    arrange(bexley, at(2026, 11, 10, 15, 0), committed)
    travel(at(2026, 11, 10, 16, 30))
    mail.outbox.clear()
    committed(lambda: services.escalation_withdraw(escalation=reload(bexley), actor=people["bexley-practitioner"],
                                                   reason="Settled at the meeting."))
    assert invitations() == []
    assert not Invitation.objects.filter(method="CANCEL").exists()


# --- the panel ------------------------------------------------------------------------------------------
def test_convening_the_panel_invites_its_members_and_the_parties(people, travel, committed):
    travel(TUESDAY_10AM)
    escalation = resolution_panel_for_test()
    staff = bristol_third_agency()
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    meeting_at = at(2026, 11, 16, 10, 0)
    committed(lambda: services.escalation_convene_panel(escalation=escalation, actor=staff["chair"],
                                                        members=members, meeting_at=meeting_at))
    sent = invitations()
    expected = {member.email for member in members} | {staff["chair"].email,
                                                       people["bs3-designated-safeguarding-lead"].email}
    assert expected <= {to for to, _, _ in sent}
    event = event_of(sent[0][2])
    assert str(event["ORGANIZER"]) == f"mailto:{staff['chair'].email}"
    assert {f"mailto:{email}" for email in expected} <= attendees(event)
    assert event.decoded("DTSTART") == meeting_at
    assert str(event["SUMMARY"]).endswith(f"stage 3 ({escalation.stage.name})")


# --- what never leaves -----------------------------------------------------------------------------------
def test_no_child_s_name_and_no_case_reference_is_anywhere_in_any_message(bexley, people, committed):
    arrange(bexley, at(2026, 11, 12, 14, 30), committed)
    arrange(bexley, at(2026, 11, 13, 14, 30), committed)
    committed(lambda: services.escalation_withdraw(escalation=reload(bexley), actor=people["bexley-practitioner"],
                                                   reason="Settled."))
    sent = invitations()
    assert {str(calendar["METHOD"]) for _, _, calendar in sent} == {"REQUEST", "CANCEL"}
    for _to, message, _calendar in sent:
        whole = message_from_bytes(message.message().as_bytes())
        texts = [message.subject, whole.as_string()]
        texts += [part.get_payload(decode=True).decode("utf-8") for part in whole.walk()
                  if not part.is_multipart()]
        for text in texts:
            for secret in (CHILD, "Zebedee", "Quartermaine", REFERENCE):
                assert secret not in text


def test_a_rolled_back_arrangement_sends_nothing(bexley, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.escalation_arrange_meeting(escalation=bexley, actor=bexley.holder,
                                            meeting_at=at(2026, 11, 12, 14, 30))
        raise RuntimeError("the request failed after the meeting was written")
    assert callbacks == [] and mail.outbox == []
    assert not Invitation.objects.exists()
    assert reload(bexley).meeting_at is None
