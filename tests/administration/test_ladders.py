"""Timescales where the procedure leaves them open (a new version; live escalations keep theirs), the
organisation's own categories, and the partnership's administrator with its ladders, chair and board."""
import pytest
from django.urls import reverse

from administration.models import AuditEntry, AuditKind
from organisations.models import Role, User
from policies.models import Category, Ladder, Stage
from tests.factories import administrator_create

pytestmark = pytest.mark.django_db


def test_the_procedure_marks_which_timescales_are_open(ladders):
    editable = {slug: sorted(Stage.objects.filter(ladder=ladder, timescale_editable=True)
                             .values_list("index", flat=True)) for slug, ladder in ladders.items()}
    assert editable["wiltshire-multi-agency"] == [0, 1, 2, 3]  # "5 WD is the seeded default, editable"
    assert editable["multi-agency-resolution-panel"] == [0, 1, 2, 3]
    assert editable["bs3-nursery"] == [0, 1, 2]
    assert editable["bexley-internal"] == editable["stoke-crm"] == editable["stoke-crm-concerns"] == []


def test_a_partnership_administrator_changes_an_open_timescale_and_live_escalations_keep_theirs(
    client, partnership_admin, raise_escalation,
):
    live = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    ladder = Ladder.objects.current().get(slug="wiltshire-multi-agency")
    client.force_login(partnership_admin)
    page = client.get(reverse("administration:ladder", args=[ladder.slug])).content.decode()
    assert "Editable" in page and 'name="stage_0"' in page

    response = client.post(reverse("administration:ladder", args=[ladder.slug]),
                           {"stage_0": "3", "stage_1": "5", "stage_2": "5", "stage_3": "10"}, follow=True)
    assert "Saved as version 2" in response.content.decode()
    current = Ladder.objects.current().get(slug="wiltshire-multi-agency")
    assert current.version == 2
    assert [s.working_days for s in current.stages.order_by("index")] == [3, 5, 5, 10]
    live.refresh_from_db()
    assert live.ladder.version == 1 and live.ladder.stage(0).working_days == 5
    assert live.timeline.filter(action="ladder_version_changed").count() == 1

    entry = AuditEntry.objects.get(kind=AuditKind.TIMESCALES_CHANGED)
    assert entry.partnership_id == partnership_admin.partnership_id and entry.organisation is None
    assert entry.before == {"version": 1, "working_days": {"Practitioner to practitioner": 5,
                                                           "Senior leaders of the partner organisations": 5}}
    assert entry.after == {"version": 2, "working_days": {"Practitioner to practitioner": 3,
                                                          "Senior leaders of the partner organisations": 10}}


def test_a_timescale_the_procedure_fixes_is_refused(admin_client, org_admin):
    from administration import services

    ladder = Ladder.objects.current().get(slug="bexley-internal")
    page = admin_client.get(reverse("administration:ladder", args=[ladder.slug])).content.decode()
    assert "Fixed by the procedure" in page and 'name="stage_0"' not in page
    with pytest.raises(Exception) as refused:
        services.ladder_timescales_set(actor=org_admin, ladder=ladder, working_days={0: 3})
    assert "The procedure fixes the response time of “Team Manager” at 1 working day" in str(refused.value)
    assert Ladder.objects.current().get(slug="bexley-internal").version == 1


@pytest.mark.parametrize(("value", "words"), [("", "Enter the working days"), ("two", "whole number"),
                                              ("61", "between 0 (the same day) and 60")])
def test_a_bad_timescale_names_the_stage_and_changes_nothing(client, partnership_admin, value, words):
    client.force_login(partnership_admin)
    response = client.post(reverse("administration:ladder", args=["wiltshire-multi-agency"]),
                           {"stage_0": "3", "stage_1": value, "stage_2": "5", "stage_3": "5"})
    assert response.status_code == 200
    assert 'id="id_stage_1-error"' in response.content.decode() and words in response.content.decode()
    current = Ladder.objects.current().get(slug="wiltshire-multi-agency")
    assert current.version == 1 and current.stage(0).working_days == 5
    assert not AuditEntry.objects.exists()


def test_an_organisation_adds_and_removes_its_own_category(admin_client, org_admin):
    url = reverse("administration:category_add", args=["bexley-internal"])
    assert admin_client.post(url, {"label": "Placement sufficiency"}).status_code == 302
    category = Category.objects.get(ladder__slug="bexley-internal", ladder__is_current=True,
                                    slug="placement-sufficiency")
    assert category.own
    duplicate = admin_client.post(url, {"label": "placement sufficiency"})
    assert 'id="id_label-error"' in duplicate.content.decode()

    procedure = Category.objects.filter(ladder__slug="bexley-internal", own=False).first()
    refused = admin_client.post(reverse("administration:category_remove", args=["bexley-internal", procedure.pk]),
                                follow=True)
    assert "comes from the procedure" in refused.content.decode()
    assert admin_client.post(reverse("administration:category_remove", args=["bexley-internal", category.pk]))
    assert not Category.objects.filter(pk=category.pk).exists()
    assert list(AuditEntry.objects.order_by("pk").values_list("kind", flat=True)) == [
        AuditKind.CATEGORY_ADDED, AuditKind.CATEGORY_REMOVED]


def test_a_category_in_use_stays(admin_client, org_admin, raise_escalation):
    from administration import services

    ladder = Ladder.objects.current().get(slug="bexley-internal")
    category = services.category_add(actor=org_admin, ladder=ladder, label="Placement sufficiency")
    raise_escalation("bexley-practitioner", "bexley-internal", category=category.slug)
    response = admin_client.post(reverse("administration:category_remove", args=[ladder.slug, category.pk]),
                                 follow=True)
    assert "1 escalation uses this category" in response.content.decode()
    assert Category.objects.filter(pk=category.pk).exists()


def test_a_partnership_administrator_invites_a_board_member_and_names_the_qap_chair(client, partnership_admin,
                                                                                   people):
    client.force_login(partnership_admin)
    response = client.post(reverse("administration:person_invite"), {
        "name": "Nina Shah", "email": "nina.shah@wiltshire-partnership.example.org", "role": Role.BOARD_MEMBER,
    })
    assert response.status_code == 302
    nina = User.objects.get(email="nina.shah@wiltshire-partnership.example.org")
    assert nina.partnership == partnership_admin.partnership and nina.organisation is None

    assert client.post(reverse("administration:qap_chair", args=[nina.pk])).status_code == 302
    nina.refresh_from_db()
    assert nina.role == Role.QAP_CHAIR
    assert User.objects.get(username="wiltshire-qap-chair").role == Role.BOARD_MEMBER
    entry = AuditEntry.objects.get(kind=AuditKind.QAP_CHAIR_CHANGED)
    assert entry.before == {"qap_chair": "wiltshire-qap-chair@example.org"}
    assert entry.after == {"qap_chair": "nina.shah@wiltshire-partnership.example.org"}

    board = client.get(reverse("administration:people")).content.decode()
    assert "wiltshire-board-member" in board and "wiltshire-social-worker" not in board
    assert client.post(reverse("administration:person_deactivate", args=[people["wiltshire-board-member"].pk]))
    assert not User.objects.get(username="wiltshire-board-member").is_active
    log = client.get(reverse("administration:audit")).content.decode()
    assert "QA&amp;P chair changed" in log and "Person deactivated" in log and "Person invited" in log


def test_a_partnership_administrator_sees_only_the_partnerships_ladders(client, partnership_admin):
    client.force_login(partnership_admin)
    page = client.get(reverse("administration:ladders")).content.decode()
    assert "Wiltshire case resolution protocol" in page and "Bexley" not in page
    assert client.get(reverse("administration:ladder", args=["multi-agency-resolution-panel"])).status_code == 404


def test_one_administrators_audit_log_is_not_anothers(client, org_admin, partnership_admin):
    from administration import services

    services.team_create(actor=org_admin, name="Duty Team")
    stoke_admin = administrator_create(username="stoke-org-admin", organisation="stoke")
    for admin in (stoke_admin, partnership_admin):
        client.force_login(admin)
        assert "Duty Team" not in client.get(reverse("administration:audit")).content.decode()
    client.force_login(org_admin)
    assert "Duty Team" in client.get(reverse("administration:audit")).content.decode()

