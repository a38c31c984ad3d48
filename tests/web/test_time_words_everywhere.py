"""Times are said one way on every page, e-mail and timeline note (``core.text``): "5pm", "2:30pm",
"midday", "midnight", and days as "Monday 4 January 2027"; never "17:00", "14:30" or "12am"."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from deadlines.sweep import deadlines_sweep
from escalations import services
from notifications.emails import message_build
from notifications.models import Notification
from tests.conftest import at

ROOT = Path(settings.BASE_DIR)
# A clock time the 24-hour way ("17:00", "09:30") not followed by am/pm.
TWENTY_FOUR_HOUR = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):[0-5]\d(?!\d|am|pm|:)")
# The formats a template may give Django's |date: the machine-read ones (a <time datetime>, a URL).
MACHINE_FORMATS = {"c", "Y-m-d"}


def _templates() -> list[Path]:
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt")]
    found += [path for path in ROOT.glob("*/templates/**/*") if path.suffix in (".html", ".txt")
              and ".venv" not in path.parts]
    return found


def test_no_template_formats_a_time_or_date_its_own_way():
    offenders = []
    for path in _templates():
        source = path.read_text()
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", source):
            if fmt not in MACHINE_FORMATS:
                offenders.append(f"{path.relative_to(ROOT)}: |date:{fmt!r}")
        if re.search(r"\|(time|naturaltime|naturalday)\b", source):
            offenders.append(f"{path.relative_to(ROOT)}: |time or |natural*")
    assert len(_templates()) > 50
    assert offenders == [], "use core's filters ({% load words %}: when, when_dated, day_words, time_words)"


# The modules that build what a person reads: pages' views, notes, e-mails, digests, the clock's words.
WORD_BUILDERS = [
    "escalations/events.py", "escalations/words.py", "escalations/views.py",
    "escalations/templatetags/escalation_tags.py", "deadlines/sweep.py", "deadlines/absences.py",
    "notifications/texts.py", "notifications/emails.py", "oversight/digests.py", "oversight/views.py",
    "organisations/absence_views.py", "administration/views.py", "reports/views.py",
]


@pytest.mark.parametrize("module", WORD_BUILDERS)
def test_no_note_or_page_builder_formats_a_time_its_own_way(module):
    source = (ROOT / module).read_text()
    assert not re.search(r"%[HIMpAdBbY]", source), f"{module}: say times and dates through core.text"
    assert ".strftime(" not in source and "|date:" not in source


@pytest.mark.django_db
def test_the_timeline_the_page_and_the_e_mails_say_a_meeting_and_a_missed_deadline_alike(
        client, people, raise_escalation, travel):
    travel(at(2026, 11, 10, 9, 0))  # a Tuesday
    meeting = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_arrange_meeting(escalation=meeting, actor=people["bexley-team-manager"],
                                        meeting_at=at(2026, 11, 11, 14, 30))
    missed = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 11, 17, 1))
    deadlines_sweep()

    notes = [*meeting.timeline.values_list("note", flat=True), *missed.timeline.values_list("note", flat=True)]
    assert "Meeting on Wednesday 11 November 2026 at 2:30pm" in notes
    assert any("The deadline of 5pm on Wednesday 11 November 2026 passed" in note for note in notes)

    client.force_login(people["bexley-practitioner"])
    pages = [client.get(reverse("escalations:detail", args=[pk])).content.decode()
             for pk in (meeting.pk, missed.pk)]
    pages += [client.get(reverse("escalations:record", args=[pk])).content.decode() for pk in (meeting.pk, missed.pk)]
    pages.append(client.get(reverse("escalations:mine")).content.decode())
    pages.append(client.get(reverse("notifications:list")).content.decode())
    assert "at 2:30pm" in pages[0] and "5pm on Wednesday 11 November" in pages[1]
    letters = [message_build(notification).body for notification in Notification.objects.all()]
    letters += [message.body for message in mail.outbox]
    assert any("5pm on Wednesday 11 November 2026" in letter for letter in letters)
    for words in [*notes, *pages, *letters]:
        visible = re.sub(r'datetime="[^"]*"|<script.*?</script>|<style.*?</style>', "", words, flags=re.S)
        assert not TWENTY_FOUR_HOUR.findall(visible), TWENTY_FOUR_HOUR.findall(visible)
        assert "12am" not in visible and "12pm" not in visible
