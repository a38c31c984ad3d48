"""My escalations, Awaiting my response and My team's escalations: what each person sees, filters,
pagination, and a query count that does not grow with the number of rows."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import services
from tests.conftest import at

pytestmark = pytest.mark.django_db

MINE = reverse("escalations:mine")
AWAITING = reverse("escalations:awaiting")
TEAM = reverse("escalations:team")


def rows(response) -> list[int]:
    """The escalation ids of the list's rows, in order."""
    import re

    return [int(pk) for pk in re.findall(r'data-escalation="(\d+)"', response.content.decode())]


@pytest.fixture
def now(travel):
    travel(at(2026, 11, 10, 10, 0))  # a Tuesday


# --- My escalations ----------------------------------------------------------------------------------
def test_signing_in_is_needed_for_every_list(client, ladders):
    for url in (MINE, AWAITING, TEAM):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_my_escalations_lists_what_i_raised_with_stage_holder_and_deadline(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-104233")
    client.force_login(people["bexley-practitioner"])
    response = client.get(MINE)
    assert rows(response) == [esc.pk]
    page = response.content.decode()
    assert "LCS-104233" in page and "Bexley internal escalation procedure" in page
    assert "Team Manager" in page and "Grace Mensah" in page
    assert "by 5pm on Wednesday 11 November" in page
    assert 'data-rag="amber"' in page


def test_my_escalations_shows_only_mine(client, people, raise_escalation, now):
    raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-team-manager"])
    assert rows(client.get(MINE)) == []
    assert "You have not raised any escalations." in client.get(MINE).content.decode()


def test_my_escalations_offers_the_next_steps_the_raiser_may_take(client, people, raise_escalation, now):
    open_esc = raise_escalation("bexley-practitioner", "bexley-internal")
    answered = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=answered, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="Threshold not met.")
    client.force_login(people["bexley-practitioner"])
    page = client.get(MINE).content.decode()
    detail = reverse("escalations:detail", args=[answered.pk])
    assert f'{detail}?open=accept#action-accept' in page
    assert f'{detail}?open=escalate#action-escalate' in page
    open_detail = reverse("escalations:detail", args=[open_esc.pk])
    assert f'{open_detail}?open=withdraw#action-withdraw' in page
    assert f'{open_detail}?open=accept' not in page


def test_my_escalations_offers_reopen_once_resolved(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="agree", rationale="Yes.")
    services.escalation_accept(escalation=esc, actor=people["bexley-practitioner"], agreed_outcome="Assessment.",
                               outstanding_actions="TM reviews.")
    client.force_login(people["bexley-practitioner"])
    page = client.get(MINE).content.decode()
    assert "?open=reopen#action-reopen" in page and "?open=withdraw" not in page
    assert 'data-rag="grey"' in page


def test_my_escalations_marks_an_overdue_one_red(client, people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 12, 10, 0))
    client.force_login(people["bexley-practitioner"])
    page = client.get(MINE).content.decode()
    assert 'data-rag="red"' in page and "Overdue" in page


def test_my_escalations_filters_by_state(client, people, raise_escalation, now):
    live = raise_escalation("bexley-practitioner", "bexley-internal")
    gone = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_withdraw(escalation=gone, actor=people["bexley-practitioner"], reason="Sorted.")
    client.force_login(people["bexley-practitioner"])
    assert rows(client.get(MINE, {"state": "withdrawn"})) == [gone.pk]
    assert rows(client.get(MINE, {"state": "live"})) == [live.pk]
    assert set(rows(client.get(MINE))) == {live.pk, gone.pk}


def test_my_escalations_filters_by_procedure(client, people, raise_escalation, now):
    own = raise_escalation("bs3-practitioner", "bs3-nursery", receiving="bristol")
    panel = raise_escalation("bs3-practitioner", "multi-agency-resolution-panel", receiving="bristol")
    client.force_login(people["bs3-practitioner"])
    assert rows(client.get(MINE, {"ladder": "bs3-nursery"})) == [own.pk]
    assert rows(client.get(MINE, {"ladder": "multi-agency-resolution-panel"})) == [panel.pk]


def test_a_bad_filter_shows_an_error_summary_and_the_unfiltered_list(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-practitioner"])
    response = client.get(MINE, {"state": "lost"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Choose a status from the list" in html
    assert rows(response) == [esc.pk]


def test_my_escalations_are_paginated_by_25(client, people, raise_escalation, now):
    made = [raise_escalation("bexley-practitioner", "bexley-internal").pk for _ in range(26)]
    client.force_login(people["bexley-practitioner"])
    first, second = client.get(MINE), client.get(MINE, {"page": 2})
    assert len(rows(first)) == 25 and len(rows(second)) == 1
    assert set(rows(first)) | set(rows(second)) == set(made)
    assert "Page 1 of 2" in first.content.decode()


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [MINE, AWAITING, TEAM])
def test_the_query_count_does_not_grow_with_the_rows(client, people, raise_escalation, now, url,
                                                     django_assert_max_num_queries):
    viewer = {MINE: "bexley-practitioner", AWAITING: "bexley-team-manager", TEAM: "bexley-service-manager"}[url]
    client.force_login(people[viewer])
    for _ in range(2):
        raise_escalation("bexley-practitioner", "bexley-internal")
    few = _count_queries(client, url)
    for _ in range(28):
        esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold", rationale="No.")
    many = _count_queries(client, url)
    assert many == few
    with django_assert_max_num_queries(20):
        client.get(url)


# --- Awaiting my response ----------------------------------------------------------------------------
def test_awaiting_lists_what_i_hold_most_urgent_first(client, people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    later = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 9, 10, 0))
    sooner = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-team-manager"])
    assert rows(client.get(AWAITING)) == [sooner.pk, later.pk]


def test_awaiting_puts_those_i_have_answered_after_those_awaiting_me(client, people, raise_escalation, travel):
    travel(at(2026, 11, 9, 10, 0))
    answered = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=answered, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="No.")
    travel(at(2026, 11, 10, 10, 0))
    waiting = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-team-manager"])
    assert rows(client.get(AWAITING)) == [waiting.pk, answered.pk]


def test_awaiting_marks_overdue_ones_and_offers_the_holder_s_actions(client, people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 12, 10, 0))
    client.force_login(people["bexley-team-manager"])
    page = client.get(AWAITING).content.decode()
    assert 'data-rag="red"' in page
    detail = reverse("escalations:detail", args=[esc.pk])
    for action in ("respond", "arrange_meeting", "reassign"):
        assert f"{detail}?open={action}#action-{action}" in page


def test_awaiting_leaves_out_closed_ones_unless_asked(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_withdraw(escalation=esc, actor=people["bexley-practitioner"], reason="Sorted.")
    client.force_login(people["bexley-team-manager"])
    assert rows(client.get(AWAITING)) == []
    assert rows(client.get(AWAITING, {"state": "closed"})) == [esc.pk]


def test_a_practitioner_has_nothing_awaiting(client, people, raise_escalation, now):
    raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-practitioner"])
    response = client.get(AWAITING)
    assert rows(response) == [] and "Nothing is awaiting your response." in response.content.decode()


def test_the_receiving_organisation_s_holder_sees_a_partner_s_escalation(client, people, raise_escalation, now):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    client.force_login(people["wiltshire-social-worker"])
    response = client.get(AWAITING)
    assert rows(response) == [esc.pk]
    assert (
        "Raised by Puddleducks Nursery → received by Wiltshire Council Children&#x27;s Social Care"
        in response.content.decode()
    )


# --- My team's escalations ---------------------------------------------------------------------------
def test_my_team_s_escalations_shows_those_raised_or_held_below_me(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-service-manager"])
    response = client.get(TEAM)
    assert rows(response) == [esc.pk]
    assert "held by Grace Mensah" in response.content.decode()


def test_my_team_s_escalations_leaves_out_other_organisations(client, people, raise_escalation, now):
    raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["bexley-service-manager"])
    assert rows(client.get(TEAM)) == []


def test_someone_with_no_reports_is_told_so(client, people, ladders):
    client.force_login(people["bexley-practitioner"])
    assert "Nobody reports to you." in client.get(TEAM).content.decode()


def test_my_team_s_escalations_filters_by_state(client, people, raise_escalation, now):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_withdraw(escalation=esc, actor=people["bexley-practitioner"], reason="Sorted.")
    client.force_login(people["bexley-service-manager"])
    assert rows(client.get(TEAM)) == []
    assert rows(client.get(TEAM, {"state": "withdrawn"})) == [esc.pk]
