"""Meeting invitations as iCalendar (RFC 5545) objects, scheduled the iTIP way (RFC 5546), made with ``icalendar``.

A meeting is one VEVENT whose UID stays the same for as long as the meeting is the same meeting (one stage's
meeting, ``meeting_uid``); each new version of it (a new time, a cancellation) has a higher SEQUENCE. What
the calendar says is the escalation's number, its stage and a link to its page: never a child's name, a case
reference or anything the concern says, because calendars are shared, synced to phones and shown to
colleagues as busy entries.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress

from core.text import LONDON

PRODID = "-//Escalation Tracker//Meeting invitations//EN"
REQUEST = "REQUEST"  # a new meeting, or a new version of one (RFC 5546 3.2.2)
CANCEL = "CANCEL"  # the meeting will not take place (RFC 5546 3.2.5)
# The procedures set no length for a meeting; an hour holds the time in the parties' diaries, and the
# holder moves or lengthens it in their own calendar as they need.
MEETING_LENGTH = dt.timedelta(hours=1)
# The VTIMEZONE carries London's changes between GMT and BST this far either side of the meeting: enough for
# a calendar to place the meeting, a few lines long instead of every change since 1970.
TIMEZONE_SPAN = dt.timedelta(days=400)


@dataclass(frozen=True)
class Person:
    email: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name}


@dataclass(frozen=True)
class Meeting:
    """One version of a meeting: what goes in the VEVENT (``as_params`` and ``from_params`` keep it as JSON)."""

    uid: str
    sequence: int
    starts_at: dt.datetime
    summary: str
    url: str
    organizer: Person
    attendees: tuple[Person, ...]

    def as_params(self) -> dict[str, Any]:
        return {
            "uid": self.uid, "sequence": self.sequence, "starts_at": self.starts_at.isoformat(),
            "summary": self.summary, "url": self.url, "organizer": self.organizer.as_dict(),
            "attendees": [person.as_dict() for person in self.attendees],
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Meeting:
        return cls(
            uid=params["uid"], sequence=params["sequence"], starts_at=dt.datetime.fromisoformat(params["starts_at"]),
            summary=params["summary"], url=params["url"], organizer=Person(**params["organizer"]),
            attendees=tuple(Person(**person) for person in params["attendees"]),
        )


def site_host() -> str:
    """The host of the service's address (``SITE_URL``): the right-hand side of every UID it makes."""
    return urlsplit(settings.SITE_URL).hostname or "escalation-tracker.local"


def meeting_uid(*, escalation_id: int, stage_index: int, stage_started_at: dt.datetime) -> str:
    """The UID of the meeting of one stage of an escalation, the same for every version of it.

    The moment the stage began tells apart two visits to the same stage (mediation that ends without
    agreement returns to it): a meeting cancelled on leaving a stage is never brought back under its old UID.
    """
    began = stage_started_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"escalation-{escalation_id}-stage-{stage_index}-{began}@{site_host()}"


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = person.name
    for name, value in params.items():
        address.params[name] = value
    return address


def meeting_calendar(meeting: Meeting, *, method: str, stamp: dt.datetime) -> str:
    """The VCALENDAR of one message about the meeting: ``REQUEST`` (invite or update) or ``CANCEL``.

    DTSTART and DTEND are London wall-clock times with TZID=Europe/London, and the VTIMEZONE that defines
    it is included (RFC 5545 3.2.19), so a calendar anywhere puts the meeting at the hour said in London,
    in GMT and in BST alike. ``stamp`` is when this version was decided (DTSTAMP).
    """
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"{method!r} is not a method this service sends.")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    start = meeting.starts_at.astimezone(LONDON)
    # The end is an hour later in elapsed time (a wall-clock sum would be an hour out across a change of clocks).
    end = (meeting.starts_at.astimezone(dt.UTC) + MEETING_LENGTH).astimezone(LONDON)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.summary)
    event.add("description", f"The escalation: {meeting.url}")
    event.add("url", meeting.url)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(meeting.organizer))
    for person in meeting.attendees:
        event.add("attendee", _address(person, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE",
                                       CUTYPE="INDIVIDUAL"))
    calendar.add_component(event)
    calendar.add_missing_timezones(first_date=(start - TIMEZONE_SPAN).date(), last_date=(start + TIMEZONE_SPAN).date())
    return calendar.to_ical().decode("utf-8")
