"""The absence pages: record one for yourself or someone you manage, the list, change and cancel one
that has not begun; refused for someone you do not manage."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from organisations.models import Absence, Role
from tests.conftest import at
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

LIST, NEW = reverse("absences:list"), reverse("absences:create")


@pytest.fixture(autouse=True)
def _tuesday(travel):
    travel(at(2026, 11, 10, 10, 0))


@pytest.fixture
def cover(people):
    return UserFactory(username="bexley-team-manager-2", role=Role.TEAM_MANAGER, first_name="Ola",
                       last_name="Adeyemi", organisation=people["bexley-team-manager"].organisation)


def dates(start: dt.date, end: dt.date) -> dict:
    return {"starts_day": start.day, "starts_month": start.month, "starts_year": start.year,
            "ends_day": end.day, "ends_month": end.month, "ends_year": end.year}


def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_person_records_their_own_absence_with_a_cover(client, people, cover):
    tm = people["bexley-team-manager"]
    signed_in(client, tm)
    page = client.get(NEW).content.decode()
    assert "Record an absence" in page and "Ola Adeyemi" in page
    response = client.post(NEW, {"person": tm.pk, **dates(dt.date(2026, 11, 12), dt.date(2026, 11, 20)),
                                 "cover": cover.pk}, follow=True)
    absence = Absence.objects.get()
    assert (absence.person, absence.cover, absence.recorded_by) == (tm, cover, tm)
    assert (absence.starts_on, absence.ends_on) == (dt.date(2026, 11, 12), dt.date(2026, 11, 20))
    body = response.content.decode()
    assert "Your absence is recorded: Thursday 12 November 2026 to Friday 20 November 2026." in body
    assert f'data-absence="{absence.pk}"' in body and "Not begun" in body


def test_a_manager_records_the_absence_of_someone_they_manage(client, people):
    signed_in(client, people["bexley-team-manager"])
    practitioner = people["bexley-practitioner"]
    assert "Sam Whitfield" in client.get(NEW).content.decode()  # offered among the people managed
    client.post(NEW, {"person": practitioner.pk, **dates(dt.date(2026, 11, 10), dt.date(2026, 11, 10))})
    assert Absence.objects.get().person == practitioner


def test_someone_not_managed_is_not_offered_and_is_refused(client, people):
    signed_in(client, people["bexley-practitioner"])
    assert "Grace Mensah" not in client.get(NEW).content.decode().split("Who covers")[0]
    response = client.post(NEW, {"person": people["bexley-team-manager"].pk,
                                 **dates(dt.date(2026, 11, 12), dt.date(2026, 11, 12))})
    assert response.status_code == 400 and "Choose one of the people listed" in response.content.decode()
    assert not Absence.objects.exists()


@pytest.mark.parametrize("data, message", [
    (dates(dt.date(2026, 11, 12), dt.date(2026, 11, 11)), "The last day must be the same as or after the first day."),
    ({"starts_day": "31", "starts_month": "2", "starts_year": "2026", "ends_day": "1", "ends_month": "3",
      "ends_year": "2026"}, "The first day must be a real date"),
    ({}, "Enter the first day of the absence"),
])
def test_bad_dates_are_named_and_nothing_is_saved(client, people, data, message):
    tm = signed_in(client, people["bexley-team-manager"]) and people["bexley-team-manager"]
    response = client.post(NEW, {"person": tm.pk, **data})
    assert response.status_code == 400 and message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Absence.objects.exists()


def test_the_person_as_their_own_cover_is_refused(client, people):
    tm = people["bexley-team-manager"]
    signed_in(client, tm)
    response = client.post(NEW, {"person": tm.pk, "cover": tm.pk,
                                 **dates(dt.date(2026, 11, 12), dt.date(2026, 11, 12))})
    assert response.status_code == 400 and not Absence.objects.exists()


def test_an_absence_not_begun_is_shortened_then_cancelled(client, people, cover):
    tm = people["bexley-team-manager"]
    absence = Absence.objects.create(person=tm, starts_on=dt.date(2026, 11, 12), ends_on=dt.date(2026, 11, 20),
                                     cover=cover, recorded_by=tm)
    signed_in(client, tm)
    change = reverse("absences:change", args=[absence.pk])
    assert 'value="20"' in client.get(change).content.decode()
    client.post(change, {**dates(dt.date(2026, 11, 12), dt.date(2026, 11, 13)), "cover": cover.pk})
    absence.refresh_from_db()
    assert absence.ends_on == dt.date(2026, 11, 13) and absence.cover == cover
    cancel = reverse("absences:cancel", args=[absence.pk])
    assert "Cancel the absence of Grace Mensah?" in client.get(cancel).content.decode()
    response = client.post(cancel, follow=True)
    assert not Absence.objects.exists() and "is cancelled" in response.content.decode()


def test_an_absence_under_way_can_no_longer_be_changed_or_cancelled(client, people):
    tm = people["bexley-team-manager"]
    absence = Absence.objects.create(person=tm, starts_on=dt.date(2026, 11, 10), ends_on=dt.date(2026, 11, 20),
                                     recorded_by=tm)
    signed_in(client, tm)
    assert "Under way" in client.get(LIST).content.decode()
    assert f'/absences/{absence.pk}/change/' not in client.get(LIST).content.decode()
    response = client.post(reverse("absences:cancel", args=[absence.pk]), follow=True)
    assert Absence.objects.filter(pk=absence.pk).exists() and "has begun" in response.content.decode()


def test_someone_elses_absence_is_not_found_and_not_changed(client, people):
    psw = people["bexley-psw"]
    absence = Absence.objects.create(person=psw, starts_on=dt.date(2026, 11, 12), ends_on=dt.date(2026, 11, 12),
                                     recorded_by=psw)
    signed_in(client, people["bexley-team-manager"])
    assert client.get(reverse("absences:change", args=[absence.pk])).status_code == 404
    assert client.post(reverse("absences:cancel", args=[absence.pk])).status_code == 404
    assert Absence.objects.filter(pk=absence.pk).exists()


def test_a_person_covering_sees_the_absence_but_may_not_change_it(client, people, cover):
    tm = people["bexley-team-manager"]
    absence = Absence.objects.create(person=tm, starts_on=dt.date(2026, 11, 12), ends_on=dt.date(2026, 11, 13),
                                     cover=cover, recorded_by=tm)
    signed_in(client, cover)
    page = client.get(LIST).content.decode()
    assert f'data-absence="{absence.pk}"' in page and f"/absences/{absence.pk}/change/" not in page
    assert client.post(reverse("absences:cancel", args=[absence.pk])).status_code == 403


def test_the_menu_offers_absences_to_staff_not_to_the_board(client, people):
    signed_in(client, people["bexley-practitioner"])
    assert re.search(r'href="/absences/"', client.get(reverse("escalations:mine")).content.decode())
    client.force_login(people["wiltshire-board-member"])
    assert client.get(LIST).status_code == 403


# --- the cover's dashboard ---------------------------------------------------------------------------
def test_the_cover_sees_covering_for_on_awaiting_my_response(client, people, cover, raise_escalation, travel):
    from deadlines.sweep import deadlines_sweep

    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    own = raise_escalation("bexley-practitioner", "bexley-internal")
    tm = people["bexley-team-manager"]
    Absence.objects.create(person=tm, starts_on=dt.date(2026, 11, 11), ends_on=dt.date(2026, 11, 20), cover=cover,
                           recorded_by=tm)
    from escalations import services

    services.escalation_withdraw(escalation=own, actor=people["bexley-practitioner"], reason="Settled.")
    travel(at(2026, 11, 11, 8, 0))
    deadlines_sweep()
    signed_in(client, cover)
    page = client.get(reverse("escalations:awaiting")).content.decode()
    assert "Covering for Grace Mensah until Friday 20 November 2026" in page
    row = page.split(f'data-escalation="{esc.pk}"')[1].split("</tr>")[0]
    assert "Covering for Grace Mensah until 20 November 2026" in row
    travel(at(2026, 11, 21, 8, 0))  # the absence is over: the stage stays, the words go
    page = client.get(reverse("escalations:awaiting")).content.decode()
    assert f'data-escalation="{esc.pk}"' in page and "Covering for" not in page
