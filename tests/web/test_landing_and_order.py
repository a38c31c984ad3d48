"""Each person lands where their work is, and "My escalations" puts it first: the overdue ones, where the
raiser may proceed, then the other live ones by deadline, then the closed ones, newest first. A passed
deadline reads as a date ("was due by 5pm on ..."), never as an amount ("Overdue by 5pm")."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from escalations import services
from tests.conftest import at

pytestmark = pytest.mark.django_db

MINE = reverse("escalations:mine")


def rows(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-escalation="(\d+)"', page)]


@pytest.mark.parametrize(("username", "landing"), [
    ("wiltshire-qap-chair", "oversight:board_logged"),
    ("wiltshire-board-member", "reports:themes"),
    ("bexley-psw", "oversight:psw_overview"),
    ("bexley-org-admin", "administration:home"),
    ("bexley-practitioner", "escalations:mine"),
])
def test_each_person_lands_on_the_page_of_their_work(client, people, username, landing):
    client.force_login(people[username])
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200


def test_the_qap_chair_signing_in_lands_on_her_worklist_not_the_reports(client, people):
    response = client.post(reverse("login"), {"username": "wiltshire-qap-chair", "password": "demo-pass-2026"},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("oversight:board_logged")
    page = response.content.decode()
    assert "Logged with the board</h1>" in page or "Logged with the board" in page.split("<h1", 1)[1][:200]
    assert 'aria-current="page"' in page


@pytest.fixture
def four(people, raise_escalation, travel):
    """Raised by the Bexley practitioner: one overdue, one live, two closed (withdrawn a day apart)."""
    practitioner = people["bexley-practitioner"]
    travel(at(2026, 11, 9, 9, 0))  # a Monday
    closed_first = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_withdraw(escalation=closed_first, actor=practitioner, reason="Resolved by phone.")
    travel(at(2026, 11, 10, 9, 0))
    overdue = raise_escalation("bexley-practitioner", "bexley-internal")  # due by 5pm on Wednesday 11th
    travel(at(2026, 11, 12, 9, 0))
    closed_later = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_withdraw(escalation=closed_later, actor=practitioner, reason="Resolved by phone.")
    live = raise_escalation("bexley-practitioner", "bexley-internal")  # due by 5pm on Friday 13th
    travel(at(2026, 11, 12, 10, 0))
    return {"overdue": overdue, "live": live, "closed_later": closed_later, "closed_first": closed_first}


def test_my_escalations_puts_the_overdue_first_and_the_closed_last(client, people, four):
    client.force_login(people["bexley-practitioner"])
    page = client.get(MINE).content.decode()
    assert rows(page) == [four[name].pk for name in ("overdue", "live", "closed_later", "closed_first")]
    # The overdue row offers the way on (the holder missed the deadline: the raiser may proceed).
    first_row = page[page.index(f'data-escalation="{four["overdue"].pk}"'):]
    first_row = first_row[:first_row.index("</tr>")]
    assert "#action-escalate" in first_row


def test_the_order_holds_within_a_filter_and_among_several_overdue(client, people, four, raise_escalation, travel):
    travel(at(2026, 11, 9, 9, 30))
    older = raise_escalation("bexley-practitioner", "bexley-internal")  # due by 5pm on Tuesday 10th
    travel(at(2026, 11, 12, 10, 0))
    client.force_login(people["bexley-practitioner"])
    assert rows(client.get(MINE).content.decode())[:3] == [older.pk, four["overdue"].pk, four["live"].pk]
    assert rows(client.get(MINE, {"state": "live"}).content.decode()) == [older.pk, four["overdue"].pk,
                                                                          four["live"].pk]


def test_a_passed_deadline_reads_as_a_date(client, people, four):
    client.force_login(people["bexley-practitioner"])
    page = client.get(MINE).content.decode()
    assert "was due by 5pm on Wednesday 11 November" in page
    assert "by 5pm on Friday 13 November" in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"Overdue\s+by", text)
    client.force_login(people["bexley-team-manager"])
    text = re.sub(r"<[^>]+>", " ", client.get(reverse("escalations:awaiting")).content.decode())
    assert "was due by 5pm on Wednesday 11 November" in text and not re.search(r"Overdue\s+by", text)


def test_an_overall_timescale_that_has_passed_reads_as_a_date_too(client, people, raise_escalation, travel):
    travel(at(2026, 11, 10, 9, 0))
    stoke = services.escalation_escalate(escalation=raise_escalation("stoke-crm", "stoke-crm"),
                                         actor=people["stoke-crm"], reason="Not resolved informally.")
    client.force_login(people["stoke-crm"])
    assert "Overall by 5pm on Tuesday 8 December" in client.get(MINE).content.decode()
    travel(at(2026, 12, 9, 10, 0))
    client.force_login(people["stoke-crm"])  # a month on, the session has expired
    text = re.sub(r"<[^>]+>", " ", client.get(MINE).content.decode())
    assert "Overall: was due by 5pm on Tuesday 8 December" in text
    assert "Overall by" not in text
    assert rows(client.get(MINE).content.decode()) == [stoke.pk]
