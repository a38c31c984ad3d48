"""CONTRACT 8.6: platform staff are not parties. Through the product's pages and API the demo `admin`
superuser (or any Django staff account) reads no escalation and no child's name, and takes no action:
404 and 403 as for anyone else. A child's display name reaches only staff of the case's owning organisation."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Case
from escalations.models import Escalation, State
from organisations.models import User
from tests.api.conftest import results

pytestmark = pytest.mark.django_db

RESPOND = {"respond-decision": "agree", "respond-rationale": "Agreed."}


@pytest.fixture
def stoke_escalation(raise_escalation):
    esc = raise_escalation("stoke-crm", "stoke-crm", reference="DEMO-ST-9")
    Case.objects.filter(pk=esc.case_id).update(display_name="J.S.")
    return esc


@pytest.fixture
def admin_user(people):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    return admin


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_admin_gets_404_on_a_stoke_escalations_page_and_its_record(client, admin_user, stoke_escalation):
    client.force_login(admin_user)
    for name in ("escalations:detail", "escalations:record"):
        response = client.get(reverse(name, args=[stoke_escalation.pk]))
        assert response.status_code == 404
        assert "DEMO-ST-9" not in response.content.decode() and "J.S." not in response.content.decode()


def test_the_admin_cannot_respond_on_the_page_and_nothing_changes(client, admin_user, stoke_escalation):
    client.force_login(admin_user)
    response = client.post(reverse("escalations:respond", args=[stoke_escalation.pk]), RESPOND)
    assert response.status_code in (403, 404)
    stoke_escalation.refresh_from_db()
    assert stoke_escalation.state == State.OPEN
    assert list(stoke_escalation.timeline.values_list("action", flat=True)) == ["raise"]


def test_the_admin_gets_404_from_the_api_and_cannot_respond(admin_user, stoke_escalation):
    api = _api(admin_user)
    assert api.get(f"/api/v1/escalations/{stoke_escalation.pk}/").status_code == 404
    assert results(api.get("/api/v1/escalations/")) == []
    response = api.post(f"/api/v1/escalations/{stoke_escalation.pk}/respond/",
                        {"decision": "agree", "rationale": "Agreed."})
    assert response.status_code in (403, 404)
    stoke_escalation.refresh_from_db()
    assert stoke_escalation.state == State.OPEN


def test_the_admin_lists_no_case_and_cannot_raise(admin_user, stoke_escalation):
    api = _api(admin_user)
    assert results(api.get("/api/v1/cases/")) == []
    assert api.post("/api/v1/cases/", {"reference": "LCS-9"}).status_code == 403


def test_the_admin_has_no_psw_overview_or_lists_of_escalations(client, admin_user, stoke_escalation):
    client.force_login(admin_user)
    assert client.get(reverse("oversight:psw_overview")).status_code == 403
    for name in ("escalations:mine", "escalations:awaiting"):
        response = client.get(reverse(name))
        assert "DEMO-ST-9" not in response.content.decode()


def test_a_staff_flag_takes_the_holder_out_of_the_product(client, stoke_escalation):
    """The holder made a Django staff account is treated as anyone else: the page is a 404."""
    holder = stoke_escalation.holder
    client.force_login(holder)
    assert client.get(reverse("escalations:detail", args=[stoke_escalation.pk])).status_code == 200
    holder.is_staff = True
    holder.save(update_fields=["is_staff"])
    assert client.get(reverse("escalations:detail", args=[stoke_escalation.pk])).status_code == 404
    assert _api(holder).get(f"/api/v1/escalations/{stoke_escalation.pk}/").status_code == 404


# --- a child's name reaches only the owning organisation -----------------------------------------------
@pytest.fixture
def multi_agency(raise_escalation):
    """Puddleducks (a nursery) raises on a Wiltshire case decision: the case is the nursery's."""
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                           reference="PD-77")
    Case.objects.filter(pk=esc.case_id).update(display_name="A.B.")
    return Escalation.objects.get(pk=esc.pk)


def test_the_cases_api_gives_the_name_to_the_owning_organisation_only(multi_agency):
    holder = multi_agency.holder
    assert holder.organisation.slug == "wiltshire"
    partner = results(_api(holder).get("/api/v1/cases/", {"reference": "PD-77"}))
    assert [(row["reference"], row["display_name"], row["organisation"]) for row in partner] == [
        ("PD-77", "", "puddleducks")]
    owner = results(_api(multi_agency.raised_by).get("/api/v1/cases/", {"reference": "PD-77"}))
    assert [row["display_name"] for row in owner] == ["A.B."]


def test_the_escalation_page_and_record_name_the_child_to_the_owning_organisation_only(client, multi_agency):
    for user, shown in ((multi_agency.raised_by, True), (multi_agency.holder, False)):
        client.force_login(user)
        for name in ("escalations:detail", "escalations:record"):
            page = client.get(reverse(name, args=[multi_agency.pk])).content.decode()
            assert "PD-77" in page
            assert ("(A.B.)" in page) is shown, (user.username, name)


def test_the_escalation_api_never_carries_the_name(multi_agency):
    for user in (multi_agency.raised_by, multi_agency.holder):
        body = _api(user).get(f"/api/v1/escalations/{multi_agency.pk}/").content.decode()
        assert "PD-77" in body and "A.B." not in body


def test_the_admin_signs_in_to_the_django_admin_not_to_a_psw_overview(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_a_psw_with_a_staff_flag_neither_reads_nor_records_systemic_issues(client, people):
    psw = people["bexley-psw"]
    psw.is_staff = True
    psw.save(update_fields=["is_staff"])
    client.force_login(psw)
    assert client.get(reverse("oversight:systemic_list")).status_code == 403
    assert client.get(reverse("oversight:systemic_create")).status_code == 403
