"""Who may see and do what on an escalation, as a table: every demo person against four escalations.

Seeing is checked both ways, ``Escalation.objects.visible_to(user)`` and
``user.has_perm("escalations.view_escalation", escalation)``, and they must agree for every pair.
Permission is not the state: a raiser holds the ``skip`` permission on any escalation they raised,
and the ladder or the state refuses it later (409).
"""
import pytest

from escalations import services
from escalations.actions import ACTIONS
from escalations.models import Escalation
from organisations.models import Partnership, Role, User
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

PERMS = [
    "view_escalation", "arrange_meeting", "respond", "accept", "escalate", "skip", "withdraw", "reopen",
    "start_mediation", "end_mediation", "log_with_board", "reassign", "add_note", "attach",
]

SEE = {"view_escalation", "add_note", "attach"}
RAISER = SEE | {"accept", "escalate", "skip", "withdraw", "reopen", "log_with_board"}
HOLDER = SEE | {"arrange_meeting", "respond", "start_mediation", "end_mediation", "log_with_board", "reassign"}
MANAGES_HOLDER = SEE | {"reassign"}  # sees, may cover absence; never responds
MANAGES_RAISER = SEE
PSW = SEE | {"accept", "escalate", "reopen", "start_mediation", "end_mediation", "log_with_board", "reassign"}
QAP_CHAIR = SEE | {"start_mediation", "end_mediation"}

# Bexley 4.5: only the PSW skips on Bexley's ladder, not the raiser (CONTRACT 8.2).
BEXLEY = {
    "bexley-practitioner": RAISER - {"skip"},
    "bexley-team-manager": HOLDER,
    "bexley-service-manager": MANAGES_HOLDER,
    "bexley-head-of-service": MANAGES_HOLDER,
    "bexley-deputy-director": MANAGES_HOLDER,
    "bexley-director": MANAGES_HOLDER,
    "bexley-psw": PSW | {"skip"},
}
STOKE = {
    "stoke-crm": RAISER,
    "stoke-team-manager": HOLDER,
    "stoke-service-manager": MANAGES_HOLDER,  # manages both the CRM and the team manager
    "stoke-strategic-manager": MANAGES_HOLDER,
    "stoke-assistant-director": MANAGES_HOLDER,
    "stoke-director": MANAGES_HOLDER,
    "stoke-psw": PSW,
}
WILTSHIRE = {
    "puddleducks-practitioner": RAISER,
    "wiltshire-social-worker": HOLDER,  # the receiving organisation's holder
    "wiltshire-team-manager": MANAGES_HOLDER,
    "wiltshire-service-manager": MANAGES_HOLDER,
    "wiltshire-head-of-service": MANAGES_HOLDER,
    "puddleducks-designated-safeguarding-lead": MANAGES_RAISER,
    "puddleducks-nursery-manager": MANAGES_RAISER,
    "puddleducks-owner": MANAGES_RAISER,
}
BOARD_LOGGED = {**WILTSHIRE, "wiltshire-qap-chair": QAP_CHAIR}


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(at(2026, 11, 10, 10, 0))


@pytest.fixture
def escalation(request, raise_escalation, people):
    kind = request.param
    if kind == "bexley":
        return raise_escalation("bexley-practitioner", "bexley-internal")
    if kind == "stoke":
        return raise_escalation("stoke-crm", "stoke-crm")
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    if kind == "board_logged":
        services.escalation_log_with_board(escalation=esc, actor=people["puddleducks-practitioner"],
                                           reason="Third referral declined this term.")
    return Escalation.objects.get(pk=esc.pk)


def table(escalation, users):
    return {user.username: {p for p in PERMS if user.has_perm(f"escalations.{p}", escalation)} for user in users}


def expected_table(expected, users):
    return {user.username: expected.get(user.username, set()) for user in users}


@pytest.mark.parametrize(
    ("escalation", "expected"),
    [("bexley", BEXLEY), ("stoke", STOKE), ("wiltshire", WILTSHIRE), ("board_logged", BOARD_LOGGED)],
    indirect=["escalation"],
    ids=["bexley", "stoke", "wiltshire", "board_logged"],
)
def test_who_may_see_and_do_what(escalation, expected, people):
    """Everyone not named in the table (other organisations' staff and PSWs, board members) gets nothing."""
    users = list(people.values())
    assert table(escalation, users) == expected_table(expected, users)


@pytest.mark.parametrize("escalation", ["bexley", "stoke", "wiltshire", "board_logged"], indirect=True)
def test_the_list_and_the_permission_agree_for_everyone(escalation, people):
    for user in people.values():
        in_list = Escalation.objects.visible_to(user).filter(pk=escalation.pk).exists()
        assert in_list == user.has_perm("escalations.view_escalation", escalation), user.username


@pytest.mark.parametrize("escalation", ["bexley", "stoke", "wiltshire", "board_logged"], indirect=True)
def test_nobody_may_act_on_what_they_cannot_see(escalation, people):
    for username, perms in table(escalation, people.values()).items():
        assert not perms or "view_escalation" in perms, username


def test_a_board_member_sees_no_escalation_at_all(demo):
    member = User.objects.get(username="wiltshire-board-member")
    assert Escalation.objects.exists()
    assert not Escalation.objects.visible_to(member).exists()
    assert not any(member.has_perm("escalations.view_escalation", e) for e in Escalation.objects.all())


def test_the_qap_chair_sees_only_the_partnerships_board_logged_escalations(demo):
    chair = User.objects.get(username="wiltshire-qap-chair")
    seen = list(Escalation.objects.visible_to(chair))
    assert seen
    assert all(e.board_logged_at is not None and e.ladder.partnership.slug == "wiltshire-partnership" for e in seen)
    logged = Escalation.objects.filter(board_logged_at__isnull=False, ladder__partnership__slug="wiltshire-partnership")
    assert set(seen) == set(logged)


def test_the_psw_of_the_receiving_organisation_sees_and_acts(raise_escalation, people):
    wiltshire = people["wiltshire-social-worker"].organisation
    psw = User.objects.create(username="wiltshire-psw", organisation=wiltshire, role=Role.PSW)
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert table(esc, [psw]) == {"wiltshire-psw": PSW}
    assert Escalation.objects.visible_to(psw).filter(pk=esc.pk).exists()


def test_the_qap_chair_of_another_partnership_sees_nothing(raise_escalation, people):
    chair = people["bristol-qap-chair"]  # the demo's chair of bristol-partnership (CONTRACT 8.8)
    assert chair.role == Role.QAP_CHAIR and chair.partnership == Partnership.objects.get(slug="bristol-partnership")
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    services.escalation_log_with_board(escalation=esc, actor=people["puddleducks-practitioner"], reason="x")
    esc = Escalation.objects.get(pk=esc.pk)
    assert table(esc, [chair]) == {"bristol-qap-chair": set()}
    assert not Escalation.objects.visible_to(chair).exists()


def test_a_former_holder_still_sees_but_no_longer_responds(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unresolved.")
    former = people["bexley-team-manager"]
    assert table(esc, [former])[former.username] == SEE | {"log_with_board"}
    assert Escalation.objects.visible_to(former).filter(pk=esc.pk).exists()


def test_someone_below_the_raiser_sees_nothing(raise_escalation, people):
    """Management sees down the line, never up it."""
    esc = raise_escalation("bexley-team-manager", "bexley-internal", risk_level="significant_harm")
    assert table(esc, [people["bexley-practitioner"]]) == {"bexley-practitioner": set()}


def test_a_superuser_is_not_a_party(raise_escalation, people):
    """CONTRACT 8.6: the demo's superuser neither sees an escalation nor holds any of the product's permissions."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and not Escalation.objects.visible_to(admin).exists()
    assert not admin.has_perm("escalations.view_escalation", esc)
    assert not any(admin.has_perm(spec.permission, esc) for spec in ACTIONS.values())
    assert not admin.has_perm("escalations.raise_escalation")
    assert not admin.has_perm("escalations.view_psw_overview")  # the demo admin's role is PSW
    assert admin.has_perm("organisations.change_user")  # the Django admin stays for platform staff


def test_a_staff_account_of_the_holding_organisation_is_not_a_party(raise_escalation, people):
    """A Django staff flag takes a person out of the product, even one who would otherwise be the PSW."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    psw = people["bexley-psw"]
    perms = ["escalations.view_escalation", "escalations.view_psw_overview",
             *(spec.permission for spec in ACTIONS.values())]
    held = [perm for perm in perms if psw.has_perm(perm, esc)]
    assert Escalation.objects.visible_to(psw).filter(pk=esc.pk).exists() and len(held) >= 2
    psw.is_staff = True
    psw.save(update_fields=["is_staff"])
    assert not Escalation.objects.visible_to(psw).exists()
    assert [perm for perm in held if psw.has_perm(perm, esc)] == []


def test_anonymous_sees_nothing(raise_escalation):
    from django.contrib.auth.models import AnonymousUser

    raise_escalation("bexley-practitioner", "bexley-internal")
    assert not Escalation.objects.visible_to(AnonymousUser()).exists()
