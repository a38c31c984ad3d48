"""The PSW reads the access log of her organisation's escalations, on a page and through the API; nobody else
may, and reading it is itself recorded."""
import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AccessEvent, Action
from audit.services import access_record
from organisations.models import User

PAGE = "/access-log/"
API = "/api/v1/access-log/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def looked(raise_escalation, people):
    """A Bexley escalation looked at by its raiser and a manager, and a look by an outsider refused."""
    bexley = raise_escalation("bexley-practitioner", "bexley-internal")
    _client(people["bexley-team-manager"]).get(reverse("escalations:detail", args=[bexley.pk]))
    _client(people["bexley-practitioner"]).get(reverse("escalations:record", args=[bexley.pk]))
    _client(people["stoke-social-worker"]).get(reverse("escalations:detail", args=[bexley.pk]))
    return bexley


def _usernames(html: str) -> list[str]:
    table = html.split('data-testid="access-log"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td data-label="Who" class="govuk-table__cell">([a-z-]+)</td>', table)


def test_the_psw_reads_her_organisations_rows_on_the_page_and_the_reading_is_recorded(looked, people):
    response = _client(people["bexley-psw"]).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert _usernames(html) == ["stoke-social-worker", "bexley-practitioner", "bexley-team-manager"]
    main = html.split("<main", 1)[1].split("</main>", 1)[0]  # the page's own part (base.html is another's)
    assert "<script" not in main and " style=" not in main
    read = AccessEvent.objects.filter(action=Action.ACCESS_LOG_READ).get()
    assert (read.username, read.organisation.slug, read.detail) == ("bexley-psw", "bexley",
                                                                     {"via": "page", "filters": {}})


def test_another_organisations_psw_sees_none_of_it(looked, people):
    response = _client(people["stoke-psw"]).get(PAGE)
    assert response.status_code == 200
    assert 'data-testid="access-log"' not in response.content.decode()
    assert _api(people["stoke-psw"]).get(API).json()["count"] == 0


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-team-manager", "bexley-director",
                                      "bexley-org-admin", "wiltshire-qap-chair", "wiltshire-board-member"])
def test_nobody_but_the_psw_reads_it_and_the_refusal_is_recorded(looked, people, username):
    assert _client(people[username]).get(PAGE).status_code == 403
    assert _api(people[username]).get(API).status_code == 403
    refused = AccessEvent.objects.filter(action=Action.REFUSED, username=username, object_kind="page")
    assert set(refused.values_list("object_id", flat=True)) == {"audit:access_log", "api-access-log"}
    assert not AccessEvent.objects.filter(action=Action.ACCESS_LOG_READ).exists()


def test_platform_staff_do_not_read_it(looked, db):
    superuser = User.objects.create_superuser("platform-root", "root@example.org", "a long enough password")
    assert _client(superuser).get(PAGE).status_code == 403
    assert _api(superuser).get(API).status_code == 403
    assert Client().get(PAGE).status_code == 302  # signed out: to the sign-in page


def test_the_api_filters_by_escalation_person_action_and_date(looked, raise_escalation, people):
    other = raise_escalation("bexley-practitioner", "bexley-internal")
    access_record(action=Action.ESCALATION_VIEWED, obj=other, user=people["bexley-service-manager"])
    AccessEvent.objects.bulk_create([AccessEvent(
        at=dt.datetime(2025, 1, 15, 9, tzinfo=dt.UTC), username="bexley-director", action=Action.ESCALATION_VIEWED,
        object_kind="escalation", object_id=str(other.pk), escalation_id=other.pk,
        organisation=people["bexley-psw"].organisation)])
    api = _api(people["bexley-psw"])
    everything = api.get(API).json()
    assert everything["count"] == 5
    first = everything["results"][-1]
    assert first["at"] == "2025-01-15T09:00:00Z" and first["username"] == "bexley-director"

    def who(**query):
        body = api.get(API, query).json()
        return sorted(row["username"] for row in body["results"])

    assert who(escalation=other.pk) == ["bexley-director", "bexley-service-manager"]
    assert who(person="BEXLEY-PRACTITIONER") == ["bexley-practitioner"]
    assert who(action="record_viewed") == ["bexley-practitioner"]
    assert who(outcome="not_found") == ["stoke-social-worker"]
    assert who(to_date="2025-12-31") == ["bexley-director"]
    assert who(from_date="2026-01-01", escalation=other.pk) == ["bexley-service-manager"]
    bad = api.get(API, {"escalation": "forty-two", "from_date": "yesterday"})
    assert bad.status_code == 400 and set(bad.json()) >= {"escalation", "from_date"}
    # Each answered read is recorded (the 400 answered nothing).
    reads = AccessEvent.objects.filter(action=Action.ACCESS_LOG_READ, detail__via="api")
    assert reads.count() == 7


def test_the_page_names_a_bad_filter_and_applies_the_others(looked, people):
    response = _client(people["bexley-psw"]).get(PAGE, {"escalation": "x", "person": "bexley-practitioner"})
    html = response.content.decode()
    assert "Enter the escalation&#x27;s number, like 42." in html
    assert _usernames(html) == ["bexley-practitioner"]


def test_the_page_is_paged(raise_escalation, people):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    manager = people["bexley-team-manager"]
    for _ in range(51):
        access_record(action=Action.ESCALATION_VIEWED, obj=escalation, user=manager)
    client = _client(people["bexley-psw"])
    first = client.get(PAGE).content.decode()
    assert len(_usernames(first)) == 50 and "Page 1 of 2" in first
    assert len(_usernames(client.get(PAGE, {"page": 2}).content.decode())) == 1


def test_the_psw_finds_it_in_the_navigation_and_nobody_else_is_offered_it(people):
    link = 'href="/access-log/"'
    assert link in _client(people["bexley-psw"]).get(reverse("oversight:psw_overview")).content.decode()
    assert link not in _client(people["bexley-team-manager"]).get(reverse("escalations:awaiting")).content.decode()
