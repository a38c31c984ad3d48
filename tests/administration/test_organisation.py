"""Teams, closure days, close of business, contacts and the role → tier mapping, each on the audit log."""
import datetime as dt

import pytest
from django.urls import reverse

from administration.models import AuditEntry, AuditKind
from organisations.models import ClosureDay, Organisation, Role, Team, Tier, TierMapping
from policies import clock

pytestmark = pytest.mark.django_db


def test_a_team_is_added_renamed_and_deleted(admin_client, org_admin):
    assert admin_client.post(reverse("administration:teams"), {"name": "  Duty   Team "}).status_code == 302
    team = Team.objects.get(organisation=org_admin.organisation, name="Duty Team")
    assert admin_client.post(reverse("administration:team", args=[team.pk]), {"name": "Front Door"}).status_code == 302
    team.refresh_from_db()
    assert team.name == "Front Door"
    assert admin_client.post(reverse("administration:team_delete", args=[team.pk])).status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()
    kinds = list(AuditEntry.objects.order_by("pk").values_list("kind", "before", "after"))
    assert kinds == [
        (AuditKind.TEAM_CREATED, {}, {"name": "Duty Team"}),
        (AuditKind.TEAM_RENAMED, {"name": "Duty Team"}, {"name": "Front Door"}),
        (AuditKind.TEAM_DELETED, {"name": "Front Door", "members": 0}, {}),
    ]


def test_a_duplicate_team_name_is_refused_on_the_field(admin_client):
    response = admin_client.post(reverse("administration:teams"), {"name": "assessment team 2"})
    assert response.status_code == 200
    assert 'id="id_name-error"' in response.content.decode() and "already a team" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_a_team_with_members_is_not_deleted(admin_client, org_admin):
    team = Team.objects.get(organisation=org_admin.organisation, name="Assessment Team 2")
    response = admin_client.post(reverse("administration:team_delete", args=[team.pk]), follow=True)
    assert "2 people are in this team" in response.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_closure_day_moves_deadlines_and_can_be_removed(admin_client, org_admin):
    bexley = org_admin.organisation
    response = admin_client.post(reverse("administration:closure_days"),
                                 {"date": "24/12/2026", "reason": "Christmas closure"})
    assert response.status_code == 302
    day = ClosureDay.objects.get(organisation=bexley)
    assert day.date == dt.date(2026, 12, 24) and day.reason == "Christmas closure"
    bexley = Organisation.objects.get(pk=bexley.pk)
    assert clock.next_working_day(dt.date(2026, 12, 23), closure_days=bexley.closure_dates()) == dt.date(2026, 12, 29)

    again = admin_client.post(reverse("administration:closure_days"), {"date": "24/12/2026", "reason": ""})
    assert "already a closure day" in again.content.decode()
    bad = admin_client.post(reverse("administration:closure_days"), {"date": "31/02/2026", "reason": ""})
    assert 'id="id_date-error"' in bad.content.decode()

    assert admin_client.post(reverse("administration:closure_day_remove", args=[day.pk])).status_code == 302
    assert not ClosureDay.objects.exists()
    assert list(AuditEntry.objects.order_by("pk").values_list("kind", flat=True)) == [
        AuditKind.CLOSURE_DAY_ADDED, AuditKind.CLOSURE_DAY_REMOVED]


def test_close_of_business_and_contacts_are_set(admin_client, org_admin):
    response = admin_client.post(reverse("administration:settings"), {
        "close_of_business": "16:30", "emergency_contacts": "Police: 999\nMASH: 020 3045 5440",
        "out_of_hours_contacts": "Emergency Duty Team: 020 8303 7777",
    })
    assert response.status_code == 302
    bexley = Organisation.objects.get(pk=org_admin.organisation_id)
    assert bexley.close_of_business == dt.time(16, 30)
    assert bexley.out_of_hours_contacts == "Emergency Duty Team: 020 8303 7777"
    entry = AuditEntry.objects.get(kind=AuditKind.SETTINGS_CHANGED)
    assert entry.before["close_of_business"] == "17:00" and entry.after["close_of_business"] == "16:30"


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"close_of_business": "09:00"}, "close_of_business", "between midday and 8pm"),
    ({"close_of_business": "five"}, "close_of_business", "like 17:00"),
    ({"emergency_contacts": "  "}, "emergency_contacts", "imminent risk"),
])
def test_bad_settings_name_the_field_and_change_nothing(admin_client, org_admin, data, field, words):
    before = Organisation.objects.get(pk=org_admin.organisation_id)
    response = admin_client.post(reverse("administration:settings"), {
        "close_of_business": "17:30", "emergency_contacts": "Police: 999", "out_of_hours_contacts": "EDT", **data,
    })
    assert response.status_code == 200
    assert f'id="id_{field}-error"' in response.content.decode() and words in response.content.decode()
    bexley = Organisation.objects.get(pk=org_admin.organisation_id)
    assert bexley.close_of_business == before.close_of_business == dt.time(17, 0)
    assert bexley.out_of_hours_contacts == before.out_of_hours_contacts
    assert bexley.emergency_contacts == before.emergency_contacts
    assert not AuditEntry.objects.exists()


def _tiers(client, **changes):
    data = dict(TierMapping.objects.filter(organisation__slug=changes.pop("org", "bexley"))
                .values_list("role", "tier"))
    data.update(changes)
    return client.post(reverse("administration:tiers"), data)


def test_the_role_tier_mapping_is_changed(admin_client, org_admin):
    assert _tiers(admin_client, assistant_team_manager=Tier.MANAGER).status_code == 302
    assert org_admin.organisation.roles_for_tier(Tier.MANAGER) == [Role.TEAM_MANAGER, Role.ASSISTANT_TEAM_MANAGER]
    entry = AuditEntry.objects.get(kind=AuditKind.TIER_MAPPING_CHANGED)
    assert entry.before == {"assistant_team_manager": ""} and entry.after == {"assistant_team_manager": "manager"}


def test_remapping_a_tier_that_strands_a_live_stage_is_refused(client, people, raise_escalation):
    """A Wiltshire social worker holds a multi-agency stage by the practitioner tier: unmapping their role
    would leave it with a holder who may not hold it."""
    from tests.factories import administrator_create

    escalation = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert escalation.holder == people["wiltshire-social-worker"]
    client.force_login(administrator_create(username="wiltshire-org-admin", organisation="wiltshire"))
    response = _tiers(client, org="wiltshire", social_worker="")
    text = response.content.decode()
    assert response.status_code == 200
    assert "1 live stage" in text and "Practitioner to practitioner" in text and "Pass it on first" in text
    assert TierMapping.objects.filter(organisation__slug="wiltshire", role=Role.SOCIAL_WORKER).exists()
    assert not AuditEntry.objects.exists()
