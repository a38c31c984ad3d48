"""An organisation's administrator records the absences of the organisation's people (issue 15's set-up
journey; CONTRACT 8.5 extended): anyone's of the organisation, never another organisation's, never an
administrator's, never their own; the pages and the API alike."""
import pytest

from organisations.models import Absence
from tests.conftest import at
from tests.factories import administrator_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]


@pytest.fixture(autouse=True)
def _tuesday(travel):
    travel(at(2026, 11, 10, 10, 0))


@pytest.fixture
def administrator(people):
    return administrator_create(username="bexley-administrator", organisation="bexley")


def body(**fields):
    return {"starts_on": "2026-11-12", "ends_on": "2026-11-20", **fields}


def test_the_administrator_records_a_member_s_absence_through_the_api(api, administrator):
    response = api("bexley-administrator").post(
        "/api/v1/absences/", body(person="bexley-team-manager"), format="json")
    assert response.status_code == 201, response.json()
    absence = Absence.objects.get(pk=response.json()["id"])
    assert (absence.person.username, absence.recorded_by.username) == ("bexley-team-manager", "bexley-administrator")
    listed = api("bexley-administrator").get("/api/v1/absences/").json()["results"]
    assert [row["person"] for row in listed] == ["bexley-team-manager"]


@pytest.mark.parametrize("person", ["stoke-team-manager", "bexley-administrator", None])
def test_the_administrator_records_no_other_organisation_s_absence_nor_an_administrator_s(api, administrator,
                                                                                           person):
    fields = {"person": person} if person else {}
    response = api("bexley-administrator").post("/api/v1/absences/", body(**fields), format="json")
    assert response.status_code == 403
    assert not Absence.objects.exists()


def test_the_administrator_records_an_absence_on_the_page_and_sees_the_organisation_s(client, administrator, people):
    client.force_login(administrator)
    form = client.get("/absences/new/")
    assert form.status_code == 200
    offered = form.context["form"].fields["person"].queryset
    assert people["bexley-team-manager"] in offered and administrator not in offered
    assert all(person.organisation_id == administrator.organisation_id for person in offered)
    response = client.post("/absences/new/", {
        "person": people["bexley-team-manager"].pk, "starts_day": "12", "starts_month": "11", "starts_year": "2026",
        "ends_day": "20", "ends_month": "11", "ends_year": "2026"})
    assert response.status_code == 302
    listing = client.get("/absences/")
    assert people["bexley-team-manager"].display_name in listing.content.decode()
    home = client.get("/administration/")
    assert 'href="/absences/"' in home.content.decode()


def test_a_partnership_administrator_records_none(api, people):
    administrator_create(username="wiltshire-partnership-admin", partnership="wiltshire-partnership")
    response = api("wiltshire-partnership-admin").post(
        "/api/v1/absences/", body(person="wiltshire-team-manager"), format="json")
    assert response.status_code == 403
