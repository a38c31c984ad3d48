"""POST and GET /api/v1/absences/ (CONTRACT section 8.5)."""
import datetime as dt

import pytest

from organisations.models import Absence, Role
from tests.conftest import at
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

TODAY = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _tuesday(travel):
    travel(at(2026, 11, 10, 10, 0))


@pytest.fixture
def cover(people):
    return UserFactory(username="bexley-team-manager-2", role=Role.TEAM_MANAGER,
                       organisation=people["bexley-team-manager"].organisation)


def body(**fields):
    return {"starts_on": "2026-11-12", "ends_on": "2026-11-20", **fields}


def test_a_person_records_their_own_absence_with_a_cover(api, cover):
    response = api("bexley-team-manager").post("/api/v1/absences/", body(cover=cover.username), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {k: data[k] for k in ("person", "starts_on", "ends_on", "cover", "recorded_by", "handed_over_at")} == {
        "person": "bexley-team-manager", "starts_on": "2026-11-12", "ends_on": "2026-11-20",
        "cover": "bexley-team-manager-2", "recorded_by": "bexley-team-manager", "handed_over_at": None,
    }
    absence = Absence.objects.get(pk=data["id"])
    assert absence.cover == cover and absence.recorded_by.username == "bexley-team-manager"


def test_a_manager_two_levels_up_records_the_absence_of_someone_below(api):
    response = api("bexley-service-manager").post("/api/v1/absences/", body(person="bexley-practitioner"),
                                                   format="json")
    assert response.status_code == 201
    assert (response.json()["person"], response.json()["recorded_by"]) == ("bexley-practitioner",
                                                                         "bexley-service-manager")


@pytest.mark.parametrize("username, person", [
    ("bexley-practitioner", "bexley-team-manager"),  # their own manager
    ("bexley-team-manager", "bexley-psw"),  # a colleague outside their line
    ("stoke-team-manager", "bexley-practitioner"),  # another organisation
])
def test_someone_elses_absence_is_refused(api, username, person):
    response = api(username).post("/api/v1/absences/", body(person=person), format="json")
    assert response.status_code == 403 and "detail" in response.json()
    assert not Absence.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"ends_on": "2026-11-11"}, "ends_on"),  # before it starts
    ({"starts_on": "2026-11-01", "ends_on": "2026-11-09"}, "ends_on"),  # over already
    ({"starts_on": "12/11/2026"}, "starts_on"),
    ({"starts_on": 20261112}, "starts_on"),
    ({"ends_on": "2026-02-30"}, "ends_on"),
    ({"starts_on": "2028-01-01", "ends_on": "2028-01-02"}, "starts_on"),  # more than a year ahead
    ({"ends_on": "2028-01-01"}, "ends_on"),  # longer than a year
    ({"cover": "bexley-team-manager"}, "cover"),  # themselves
    ({"cover": "stoke-team-manager"}, "cover"),  # another organisation
    ({"cover": "no-such-person"}, "cover"),
    ({"person": "no-such-person"}, "person"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_answers_400_with_the_field(api, fields, field):
    response = api("bexley-team-manager").post("/api/v1/absences/", body(**fields), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Absence.objects.exists()


def test_an_inactive_cover_is_refused(api, cover):
    cover.is_active = False
    cover.save()
    response = api("bexley-team-manager").post("/api/v1/absences/", body(cover=cover.username), format="json")
    assert response.status_code == 400 and "cover" in response.json()


def test_an_absence_overlapping_another_is_refused(api):
    client = api("bexley-team-manager")
    assert client.post("/api/v1/absences/", body(), format="json").status_code == 201
    response = client.post("/api/v1/absences/", body(starts_on="2026-11-20", ends_on="2026-11-23"), format="json")
    assert response.status_code == 400 and "starts_on" in response.json()


def test_a_cover_who_is_away_then_is_refused(api, cover):
    Absence.objects.create(person=cover, starts_on=dt.date(2026, 11, 19), ends_on=dt.date(2026, 11, 19),
                           recorded_by=cover)
    response = api("bexley-team-manager").post("/api/v1/absences/", body(cover=cover.username), format="json")
    assert response.status_code == 400 and "cover" in response.json()


def test_the_list_shows_mine_my_reports_and_those_i_cover_only(api, people, cover):
    tm, practitioner = people["bexley-team-manager"], people["bexley-practitioner"]
    mine = Absence.objects.create(person=tm, starts_on=TODAY, ends_on=TODAY, cover=cover, recorded_by=tm)
    report = Absence.objects.create(person=practitioner, starts_on=TODAY, ends_on=TODAY, recorded_by=practitioner)
    other_org = UserFactory(organisation=OrganisationFactory())
    Absence.objects.create(person=other_org, starts_on=TODAY, ends_on=TODAY, recorded_by=other_org)
    psw = people["bexley-psw"]
    Absence.objects.create(person=psw, starts_on=TODAY, ends_on=TODAY, recorded_by=psw)

    def ids(username):
        response = api(username).get("/api/v1/absences/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("bexley-team-manager") == {mine.pk, report.pk}
    assert ids("bexley-practitioner") == {report.pk}
    assert ids("bexley-team-manager-2") == {mine.pk}
    assert ids("bexley-service-manager") == {mine.pk, report.pk}


def test_signed_out_is_refused(api):
    assert api().get("/api/v1/absences/").status_code in (401, 403)
    assert api().post("/api/v1/absences/", body(), format="json").status_code in (401, 403)


def test_a_board_member_cannot_record_an_absence(api):
    response = api("wiltshire-board-member").post("/api/v1/absences/", body(), format="json")
    assert response.status_code == 403
