"""The QA&P chair's list of escalations logged with the board (Wiltshire 3a/3b)."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from escalations import services
from escalations.models import Escalation
from organisations.models import Partnership, User

pytestmark = pytest.mark.django_db
URL = reverse("oversight:board_logged")


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-escalation="(\d+)"', response.content.decode())}


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def log(esc, people, who="puddleducks-practitioner"):
    return services.escalation_log_with_board(escalation=esc, actor=people[who], reason="Third referral declined.")


def test_the_chair_sees_the_logged_escalations_of_the_partnership(client, demo):
    logged = Escalation.objects.get(case__reference="DEMO-PD-4001")
    unlogged = Escalation.objects.get(case__reference="DEMO-PD-4002")
    response = get(client, User.objects.get(username="wiltshire-qap-chair"))
    assert response.status_code == 200
    assert shown(response) == {logged.pk} and unlogged.pk not in shown(response)


def test_a_row_names_the_agencies_state_stage_logged_date_and_links_to_the_escalation(client, demo):
    logged = Escalation.objects.get(case__reference="DEMO-PD-4001")
    page = get(client, User.objects.get(username="wiltshire-qap-chair")).content.decode()
    assert f'href="{reverse("escalations:detail", args=[logged.pk])}"' in page
    assert escape(f"{logged.raising_organisation.name} → {logged.receiving_organisation.name}") in page
    assert "In mediation" in page and "Mediator: Elaine Marsh" in page
    assert logged.stage.name in page
    assert f'datetime="{timezone.localtime(logged.board_logged_at):%Y-%m-%dT%H:%M:%S}' in page


@pytest.mark.parametrize("username", ["bexley-psw", "wiltshire-board-member", "puddleducks-practitioner",
                                      "wiltshire-head-of-service"])
def test_other_roles_are_refused(client, people, username):
    assert get(client, people[username]).status_code == 403


def test_a_chair_of_another_partnership_sees_none_of_wiltshires(client, raise_escalation, people):
    log(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), people)
    bristol_chair = people["bristol-qap-chair"]  # the demo's chair of bristol-partnership (CONTRACT 8.8)
    assert bristol_chair.partnership == Partnership.objects.get(slug="bristol-partnership")
    response = get(client, bristol_chair)
    assert shown(response) == set()
    assert "Nothing has been logged with the board." in response.content.decode()


def test_filter_by_state_and_organisation(client, raise_escalation, people):
    first = log(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), people)
    second = log(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), people)
    services.escalation_withdraw(escalation=second, actor=people["puddleducks-practitioner"], reason="Sorted.")
    chair = people["wiltshire-qap-chair"]
    assert shown(get(client, chair, state="live")) == {first.pk}
    assert shown(get(client, chair, state="withdrawn")) == {second.pk}
    assert shown(get(client, chair, organisation="puddleducks")) == {first.pk, second.pk}


def test_an_unknown_filter_value_is_explained(client, people):
    page = get(client, people["wiltshire-qap-chair"], state="lost").content.decode()
    assert 'class="govuk-error-summary"' in page and "Choose a state from the list." in page


def test_the_query_count_does_not_grow_with_the_rows(client, raise_escalation, people, django_assert_max_num_queries):
    log(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), people)
    client.force_login(people["wiltshire-qap-chair"])
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(8):
        log(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), people)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(shown(response)) == 9 and len(many) == len(few)
    with django_assert_max_num_queries(15):
        client.get(URL)


def test_the_list_is_paged(client, raise_escalation, people):
    for _ in range(26):
        log(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), people)
    assert len(shown(get(client, people["wiltshire-qap-chair"]))) == 25
    assert len(shown(get(client, people["wiltshire-qap-chair"], page=2))) == 1
