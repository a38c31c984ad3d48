"""Who sees which case: their organisation's, and the cases of the escalations they may see."""
import pytest
from django.contrib.auth.models import AnonymousUser

from cases.models import Case
from escalations.cases import case_list_visible
from organisations.models import Organisation

pytestmark = pytest.mark.usefixtures("seeded_once")


def _references(user) -> set[str]:
    return set(case_list_visible(user=user).values_list("reference", flat=True))


def test_a_person_sees_their_organisations_cases_and_no_other(people):
    Case.objects.create(organisation=people["bexley-practitioner"].organisation, reference="LCS-1")
    Case.objects.create(organisation=people["stoke-crm"].organisation, reference="LCS-2")
    assert _references(people["bexley-team-manager"]) == {"LCS-1"}
    assert _references(people["stoke-social-worker"]) == {"LCS-2"}


def test_the_receiving_holder_sees_the_raisers_case_of_the_escalation(people, raise_escalation):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert esc.case.reference in _references(esc.holder)
    assert esc.case.reference not in _references(people["bexley-practitioner"])


def test_board_users_and_anonymous_see_no_case(people, raise_escalation):
    raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert _references(people["wiltshire-board-member"]) == set()
    assert _references(people["wiltshire-qap-chair"]) == set()
    assert _references(AnonymousUser()) == set()


def test_a_platform_account_sees_no_case(people, django_user_model):
    """CONTRACT 8.6: a superuser, or a staff account even of the owning organisation, is not a party."""
    Case.objects.create(organisation=Organisation.objects.get(slug="bristol"), reference="LCS-3")
    admin = django_user_model.objects.create_superuser("site-admin", "admin@example.org", "x-long-pass-2026")
    assert _references(admin) == set()
    staff = django_user_model.objects.create_user("bristol-ops", "ops@example.org", "x-long-pass-2026",
                                                  organisation=Organisation.objects.get(slug="bristol"), is_staff=True)
    assert _references(staff) == set()


def test_cases_of_an_organisation_need_no_escalation():
    bexley, stoke = Organisation.objects.get(slug="bexley"), Organisation.objects.get(slug="stoke")
    Case.objects.create(organisation=bexley, reference="LCS-4")
    Case.objects.create(organisation=stoke, reference="LCS-4")
    assert [c.organisation for c in Case.objects.of_organisation(bexley)] == [bexley]
    assert Case.objects.of_organisation(stoke.pk).get().organisation == stoke
