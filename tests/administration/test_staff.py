"""Staff: invite, change, deactivate; every change on the audit log; bad input changes nothing."""
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from administration.models import AuditEntry, AuditKind
from organisations.models import Role, Team, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _invite(client, **overrides):
    data = {"name": "Robin Ashby", "email": "robin.ashby@bexley.example.org", "role": Role.SOCIAL_WORKER,
            "team": "", "line_manager": ""}
    data.update(overrides)
    return client.post(reverse("administration:person_invite"), data)


def test_an_invited_person_gets_an_e_mail_to_set_their_password_and_can_then_sign_in(
    admin_client, people, org_admin, settings, django_capture_on_commit_callbacks,
):
    settings.SITE_URL = "https://tracker.example.org"
    team = Team.objects.get(organisation=org_admin.organisation, name="Assessment Team 2")
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client, team=team.pk, line_manager=people["bexley-team-manager"].pk)
    assert response.status_code == 302
    person = User.objects.get(email="robin.ashby@bexley.example.org")
    assert (person.first_name, person.last_name, person.role) == ("Robin", "Ashby", Role.SOCIAL_WORKER)
    assert person.organisation == org_admin.organisation and person.team == team
    assert person.line_manager == people["bexley-team-manager"] and not person.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["robin.ashby@bexley.example.org"]
    link = re.search(r"https://tracker\.example\.org(/set-password/\S+)", mail.outbox[0].body).group(1)

    admin_client.logout()
    client = admin_client
    form_page = client.get(link, follow=True)
    assert b"Choose your password" in form_page.content
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": "a-long-pass-phrase-9", "new_password2": "a-long-pass-phrase-9"})
    assert done.status_code == 302
    signed_in = client.post("/sign-in/", {"username": "robin.ashby@bexley.example.org",
                                         "password": "a-long-pass-phrase-9"})
    assert signed_in.status_code == 302
    assert b"This link no longer works" in client.get(link, follow=True).content

    entry = AuditEntry.objects.get(kind=AuditKind.PERSON_INVITED)
    assert entry.actor == org_admin and entry.organisation == org_admin.organisation
    assert entry.after["email"] == "robin.ashby@bexley.example.org" and entry.after["team"] == "Assessment Team 2"


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"name": ""}, "name", "full name"),
    ({"email": "not-an-address"}, "email", "right format"),
    ({"email": "bexley-psw@example.org"}, "email", "already has this e-mail"),
    ({"role": "qap_chair"}, "role", "Select a valid choice"),
])
def test_bad_input_names_the_field_and_saves_nothing(admin_client, org_admin, overrides, field, words):
    before = User.objects.count()
    response = _invite(admin_client, **overrides)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert f'id="id_{field}-error"' in response.content.decode()
    assert User.objects.count() == before and not mail.outbox
    assert not AuditEntry.objects.exists()


def test_a_line_manager_in_another_organisation_is_refused(org_admin, people):
    from administration import services

    with pytest.raises(Exception) as refused:
        services.staff_invite(actor=org_admin, name="Jo Bloggs", email="jo@example.org", role=Role.SOCIAL_WORKER,
                              line_manager=people["stoke-team-manager"])
    assert "same organisation" in str(refused.value)
    assert not User.objects.filter(email="jo@example.org").exists()


def test_role_team_and_line_manager_change_and_are_on_the_audit_log(admin_client, org_admin, people):
    person = people["bexley-practitioner"]
    team = Team.objects.create(organisation=org_admin.organisation, name="Duty Team")
    response = admin_client.post(reverse("administration:person", args=[person.pk]), {
        "name": "Sam Whitfield", "role": Role.PRACTITIONER, "team": team.pk,
        "line_manager": people["bexley-service-manager"].pk,
    })
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.role, person.team, person.line_manager) == (Role.PRACTITIONER, team,
                                                                people["bexley-service-manager"])
    entry = AuditEntry.objects.get(kind=AuditKind.PERSON_CHANGED)
    assert entry.before == {"line_manager": "bexley-team-manager@example.org", "role": "social_worker",
                            "team": "Assessment Team 2"}
    assert entry.after == {"line_manager": "bexley-service-manager@example.org", "role": "practitioner",
                           "team": "Duty Team", "source": "page"}
    page = admin_client.get(reverse("administration:audit")).content.decode()
    assert "Person changed" in page and "Duty Team" in page and "Assessment Team 2" in page


def test_a_loop_in_line_management_is_refused(admin_client, people):
    director = people["bexley-director"]
    response = admin_client.post(reverse("administration:person", args=[director.pk]), {
        "name": "Diane Okafor", "role": Role.DIRECTOR, "team": "", "line_manager": people["bexley-team-manager"].pk,
    })
    assert response.status_code == 200
    assert "loop in line management" in response.content.decode()
    director.refresh_from_db()
    assert director.line_manager is None and not AuditEntry.objects.exists()


def test_changing_the_role_of_a_holder_of_live_stages_is_refused_with_the_count(admin_client, people,
                                                                                raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    raise_escalation("bexley-practitioner", "bexley-internal")
    holder = people["bexley-team-manager"]
    response = admin_client.post(reverse("administration:person", args=[holder.pk]), {
        "name": "Grace Mensah", "role": Role.SOCIAL_WORKER, "team": "", "line_manager": "",
    })
    text = response.content.decode()
    assert response.status_code == 200
    assert "holds 2 live stages" in text and "Team Manager" in text
    holder.refresh_from_db()
    assert holder.role == Role.TEAM_MANAGER and not AuditEntry.objects.exists()


def test_deactivating_ends_the_persons_sessions_and_tokens_at_once(admin_client, people):
    person = people["bexley-practitioner"]
    client = Client()
    client.force_login(person)
    assert client.get(reverse("escalations:mine")).status_code == 200
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": person.username, "password": "demo-pass-2026"},
                     format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200

    response = admin_client.post(reverse("administration:person_deactivate", args=[person.pk]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert client.get(reverse("escalations:mine"))["Location"].startswith(reverse("login"))
    refused = api.get("/api/v1/me/")
    assert refused.status_code in (401, 403) and refused.json() == {"detail": "Invalid token."}
    entry = AuditEntry.objects.get(kind=AuditKind.PERSON_DEACTIVATED)
    assert entry.after == {"active": False, "sessions_ended": 1, "tokens_ended": 1, "stages_passed_on": 0}


def test_deactivating_someone_who_holds_live_stages_passes_them_on_with_a_system_entry(admin_client, people,
                                                                                     raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    holder = people["bexley-team-manager"]
    deadline = esc.stage_deadline
    response = admin_client.post(reverse("administration:person_deactivate", args=[holder.pk]))
    assert response.status_code == 302
    holder.refresh_from_db()
    esc.refresh_from_db()
    assert not holder.is_active
    assert esc.holder != holder and esc.holder.is_active and esc.stage_deadline == deadline
    entry = esc.timeline.order_by("pk").last()
    assert entry.actor is None and "deactivated" in entry.note
    assert AuditEntry.objects.get(kind=AuditKind.PERSON_DEACTIVATED).after["stages_passed_on"] == 1


def test_deactivating_a_holder_nobody_else_may_replace_is_refused_and_changes_nothing(admin_client, people,
                                                                                   raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    holder = people["bexley-team-manager"]
    # Nobody else may take a Team Manager stage: no other team manager, and no line manager above the holder.
    User.objects.filter(pk=people["bexley-team-manager"].pk).update(line_manager=None)
    response = admin_client.post(reverse("administration:person_deactivate", args=[holder.pk]), follow=True)
    text = response.content.decode()
    assert "Grace Mensah holds 1 live stage" in text and "nobody else may take" in text
    holder.refresh_from_db()
    esc.refresh_from_db()
    assert holder.is_active and esc.holder == holder and not AuditEntry.objects.exists()


def test_deactivating_the_last_person_who_may_hold_a_live_stage_is_refused(admin_client, org_admin, people,
                                                                           raise_escalation):
    """The Director's live imminent-risk stage has lost its holder (deactivated elsewhere); the one other
    director is the only person left who may take it, so they stay."""
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert escalation.holder == people["bexley-director"]
    User.objects.filter(pk=people["bexley-director"].pk).update(is_active=False)
    spare = UserFactory(username="bexley-second-director", organisation=org_admin.organisation, role=Role.DIRECTOR)
    response = admin_client.post(reverse("administration:person_deactivate", args=[spare.pk]), follow=True)
    assert "1 live stage (1 at “Director of Children&#x27;s Services”) would have nobody in the organisation" in (
        response.content.decode())
    spare.refresh_from_db()
    assert spare.is_active and not AuditEntry.objects.exists()

    other = UserFactory(username="bexley-third-director", organisation=org_admin.organisation, role=Role.DIRECTOR)
    assert admin_client.post(reverse("administration:person_deactivate", args=[spare.pk])).status_code == 302
    spare.refresh_from_db()
    assert not spare.is_active and other.is_active


def test_an_administrator_cannot_deactivate_themselves(admin_client, org_admin):
    response = admin_client.post(reverse("administration:person_deactivate", args=[org_admin.pk]), follow=True)
    assert "cannot deactivate yourself" in response.content.decode()
    org_admin.refresh_from_db()
    assert org_admin.is_active


def test_the_staff_page_lists_the_organisation_only(admin_client, people):
    page = admin_client.get(reverse("administration:people")).content.decode()
    assert 'data-person="bexley-practitioner"' in page
    assert "stoke-" not in page and "wiltshire-" not in page


def test_the_invitation_is_sent_again_until_a_password_is_set(admin_client, org_admin,
                                                              django_capture_on_commit_callbacks):
    from administration import services

    with django_capture_on_commit_callbacks(execute=True):
        person = services.staff_invite(actor=org_admin, name="Robin Ashby", email="robin@bexley.example.org",
                                       role=Role.SOCIAL_WORKER)
        response = admin_client.post(reverse("administration:person_reinvite", args=[person.pk]), follow=True)
    assert "on its way to robin@bexley.example.org again" in response.content.decode()
    assert len(mail.outbox) == 2 and all("/set-password/" in message.body for message in mail.outbox)
    assert AuditEntry.objects.filter(kind=AuditKind.INVITATION_RESENT).count() == 1

    person.set_password("a-long-pass-phrase-9")
    person.save()
    refused = admin_client.post(reverse("administration:person_reinvite", args=[person.pk]), follow=True)
    assert "has set a password already" in refused.content.decode()
    assert AuditEntry.objects.filter(kind=AuditKind.INVITATION_RESENT).count() == 1
