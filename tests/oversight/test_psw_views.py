"""The PSW overview: who sees it, what it shows, its filters, counts, pages and query count."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import services
from escalations.models import Escalation
from organisations.models import Organisation, Role, User
from tests.conftest import at

pytestmark = pytest.mark.django_db
URL = reverse("oversight:psw_overview")


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-escalation="(\d+)"', response.content.decode())}


def count_of(response, key: str) -> int:
    return int(re.search(rf'data-count="{key}">(\d+)<', response.content.decode()).group(1))


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


# --- who sees it ----------------------------------------------------------------------------------------
def test_the_psw_sees_every_live_escalation_of_the_organisation(client, demo):
    response = get(client, User.objects.get(username="bexley-psw"))
    assert response.status_code == 200
    live = set(Escalation.objects.live().filter(raising_organisation__slug="bexley").values_list("pk", flat=True))
    assert live and shown(response) == live


def test_closed_escalations_are_not_listed(client, demo):
    closed = Escalation.objects.filter(raising_organisation__slug="bexley", state__in=["resolved", "withdrawn"])
    assert closed.exists()
    assert shown(get(client, User.objects.get(username="bexley-psw"))).isdisjoint(closed.values_list("pk", flat=True))


def test_another_organisations_psw_does_not_see_bexleys_escalations(client, demo):
    ids = shown(get(client, User.objects.get(username="stoke-psw")))
    stoke = set(Escalation.objects.live().filter(raising_organisation__slug="stoke").values_list("pk", flat=True))
    assert ids == stoke
    assert not Escalation.objects.filter(pk__in=ids, raising_organisation__slug="bexley").exists()


def test_the_receiving_organisations_psw_sees_a_partners_escalation(client, raise_escalation, people):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    psw = User.objects.create(username="wiltshire-psw", role=Role.PSW,
                              organisation=Organisation.objects.get(slug="wiltshire"))
    assert shown(get(client, psw)) == {esc.pk}


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-director", "bexley-team-manager",
                                      "wiltshire-qap-chair", "wiltshire-board-member"])
def test_other_roles_are_refused(client, people, username):
    assert get(client, people[username]).status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- what each row says ---------------------------------------------------------------------------------
def test_a_row_links_to_the_escalation_page_and_names_holder_raiser_and_team(client, raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-104233")
    page = get(client, people["bexley-psw"]).content.decode()
    assert f'href="{reverse("escalations:detail", args=[esc.pk])}"' in page
    assert "LCS-104233" in page and "Team Manager" in page
    assert "Grace Mensah" in page  # the holder
    assert "Sam Whitfield" in page and "Assessment Team 2" in page  # the raiser and their team


def test_a_row_shows_the_time_spent_at_each_level(client, raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 11, 12, 0))
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold", rationale="x")
    services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="still unsafe")
    travel(at(2026, 11, 11, 17, 30))
    page = get(client, people["bexley-psw"]).content.decode()
    assert "Team Manager: 1 day 2 hours" in page
    assert "Service Manager: 5 hours (now)" in page


def test_the_page_offers_an_independent_escalation_bexley_4_3(client, people):
    page = get(client, people["bexley-psw"]).content.decode()
    assert f'href="{reverse("oversight:psw_raise")}">Raise an independent escalation' in page


def test_the_independent_escalation_link_opens_the_raise_journey(client, people):
    client.force_login(people["bexley-psw"])
    response = client.get(reverse("oversight:psw_raise"))
    assert response.status_code == 302 and response.url == reverse("escalations:raise")


def test_only_a_psw_follows_the_independent_escalation_link(client, people):
    client.force_login(people["bexley-practitioner"])
    assert client.get(reverse("oversight:psw_raise")).status_code == 403


# --- counts ---------------------------------------------------------------------------------------------
def test_counts_at_the_top(client, raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    raise_escalation("bexley-practitioner", "bexley-internal")
    late = raise_escalation("bexley-practitioner", "bexley-internal")
    met = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    services.escalation_arrange_meeting(escalation=met, actor=people["bexley-service-manager"],
                                        meeting_at=at(2026, 11, 10, 15, 0))
    answered = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=answered, actor=people["bexley-team-manager"], decision="agree",
                                rationale="x")
    travel(at(2026, 11, 11, 18, 0))  # past the stage-0 deadlines (Wed 17:00) of the open ones
    response = get(client, people["bexley-psw"])
    assert count_of(response, "open") == 2
    assert count_of(response, "meeting_arranged") == 1
    assert count_of(response, "responded") == 1
    assert count_of(response, "in_mediation") == 0
    assert count_of(response, "overdue") == 3  # the two open ones and the meeting, all past their deadline
    assert count_of(response, "high_risk") == 1
    assert late.pk in shown(response)


# --- filters --------------------------------------------------------------------------------------------
@pytest.fixture
def spread(raise_escalation, people, travel):
    """Three Bexley escalations: a standard one, one overdue, and a significant-harm one."""
    travel(at(2026, 11, 10, 10, 0))
    overdue = raise_escalation("bexley-practitioner", "bexley-internal", category="level-of-need")
    travel(at(2026, 11, 12, 10, 0))
    fresh = raise_escalation("bexley-practitioner", "bexley-internal", category="communication")
    harm = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm",
                            category="communication")
    return {"overdue": overdue, "fresh": fresh, "harm": harm}


def test_filter_by_risk_level(client, people, spread):
    assert shown(get(client, people["bexley-psw"], risk_level="significant_harm")) == {spread["harm"].pk}


def test_filter_by_overdue(client, people, spread):
    assert shown(get(client, people["bexley-psw"], overdue="yes")) == {spread["overdue"].pk}
    assert shown(get(client, people["bexley-psw"], overdue="no")) == {spread["fresh"].pk, spread["harm"].pk}


def test_filter_by_stage(client, people, spread):
    assert shown(get(client, people["bexley-psw"], stage="1")) == {spread["harm"].pk}


def test_filter_by_holder(client, people, spread):
    assert shown(get(client, people["bexley-psw"], holder="Tom Bradley")) == {spread["harm"].pk}


@pytest.mark.parametrize("name", ["bradley", "  Bradley ", "Tom", "bexley-service-manager", "tom brad"])
def test_the_holder_filter_takes_part_of_a_name_or_username_whatever_the_case(client, people, spread, name):
    assert shown(get(client, people["bexley-psw"], holder=name)) == {spread["harm"].pk}


def test_the_holder_filter_finds_everyone_a_name_fits(client, people, spread):
    # Grace Mensah (the team manager) holds the two at the first level, Tom Bradley the one at the second.
    assert shown(get(client, people["bexley-psw"], holder="Grace Mensah")) == {spread["overdue"].pk,
                                                                              spread["fresh"].pk}
    assert shown(get(client, people["bexley-psw"], holder="bexley")) == set(e.pk for e in spread.values())


def test_the_holder_filter_is_a_text_box_that_keeps_what_was_typed(client, people, spread):
    page = get(client, people["bexley-psw"], holder="Bradley").content.decode()
    assert ('<input class="govuk-input govuk-!-width-full" id="id_holder" name="holder" type="text" '
            'value="Bradley"') in page
    assert "Part of a name or username, for example Mensah" in page
    assert '<select class="govuk-select govuk-!-width-full" id="id_holder"' not in page


def test_a_name_no_holder_has_is_explained_and_ignored(client, people, spread):
    response = get(client, people["bexley-psw"], holder="Nobody Here", risk_level="significant_harm")
    page = response.content.decode()
    assert response.status_code == 200
    assert ('href="#id_holder">No one holding one of these escalations has a name like that: enter part of a '
            "holder&#x27;s name or username.") in page
    assert shown(response) == {spread["harm"].pk}


def test_a_holder_name_too_long_to_be_one_is_explained_and_ignored(client, people, spread):
    response = get(client, people["bexley-psw"], holder="x" * 151)
    assert 'href="#id_holder">Enter at most 150 characters of the holder&#x27;s name.' in response.content.decode()
    assert shown(response) == set(e.pk for e in spread.values())


def test_the_holder_filter_finds_only_holders_of_the_organisations_live_escalations(client, people, spread):
    """Someone who holds none of them is not found: the box tells nothing the list did not show."""
    response = get(client, people["bexley-psw"], holder="bexley-director")
    assert "No one holding one of these escalations has a name like that" in response.content.decode()
    assert shown(response) == set(e.pk for e in spread.values())


def test_filter_by_category(client, people, spread):
    assert shown(get(client, people["bexley-psw"], category="level-of-need")) == {spread["overdue"].pk}


def test_filter_by_state(client, people, spread):
    services.escalation_respond(escalation=spread["fresh"], actor=people["bexley-team-manager"],
                                decision="agree", rationale="x")
    assert shown(get(client, people["bexley-psw"], state="responded")) == {spread["fresh"].pk}


def test_filter_by_the_raisers_team(client, people, spread):
    team = people["bexley-practitioner"].team
    assert shown(get(client, people["bexley-psw"], team=team.pk)) == set(e.pk for e in spread.values())
    people["bexley-practitioner"].team = None
    people["bexley-practitioner"].save(update_fields=["team"])
    assert shown(get(client, people["bexley-psw"], team=team.pk)) == set()


def test_filter_by_ladder(client, people, spread):
    assert len(shown(get(client, people["bexley-psw"], ladder="bexley-internal"))) == 3
    assert shown(get(client, people["bexley-psw"], ladder="bexley-internal", stage="1")) == {spread["harm"].pk}


def test_a_procedure_bexley_does_not_use_is_not_offered(client, people, spread):
    response = get(client, people["bexley-psw"], ladder="stoke-crm")
    assert "Choose a procedure from the list." in response.content.decode()
    assert 'value="stoke-crm"' not in response.content.decode()


def test_filters_combine(client, people, spread):
    assert shown(get(client, people["bexley-psw"], category="communication", risk_level="standard")) == {
        spread["fresh"].pk}


def test_a_filter_matching_nothing_says_so(client, people, spread):
    page = get(client, people["bexley-psw"], risk_level="imminent").content.decode()
    assert "No live escalations match these filters." in page and "Clear filters" in page


def test_an_invalid_filter_is_explained_in_an_error_summary_and_ignored(client, people, spread):
    response = get(client, people["bexley-psw"], stage="top", risk_level="significant_harm")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-error-summary"' in page and 'href="#id_stage">Choose a level from the list.' in page
    assert shown(response) == {spread["harm"].pk}


# --- pages and queries ----------------------------------------------------------------------------------
def test_the_list_is_paged_25_at_a_time_keeping_the_filters(client, raise_escalation, people):
    for _ in range(26):
        raise_escalation("bexley-practitioner", "bexley-internal")
    first = get(client, people["bexley-psw"], risk_level="standard")
    assert len(shown(first)) == 25
    assert 'href="?risk_level=standard&amp;page=2"' in first.content.decode()
    second = get(client, people["bexley-psw"], risk_level="standard", page=2)
    assert len(shown(second)) == 1 and shown(first).isdisjoint(shown(second))


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_the_rows(client, raise_escalation, people, django_assert_max_num_queries):
    for _ in range(2):
        raise_escalation("bexley-practitioner", "bexley-internal")
    few = _queries(client, people["bexley-psw"])
    for _ in range(10):
        esc = raise_escalation("bexley-practitioner", "bexley-internal")
        services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                    rationale="x")
        services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="y")
    assert _queries(client, people["bexley-psw"]) == few
    with django_assert_max_num_queries(20):
        client.get(URL)
