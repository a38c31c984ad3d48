"""Bulk staff import from the HR system's CSV: a preview with row-level errors, all or nothing, idempotent."""
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from administration.models import AuditEntry, AuditKind
from administration.staff_import import MAX_BYTES
from organisations.models import Role, Team, User

pytestmark = pytest.mark.django_db

HEADER = "name,email,role,team,line_manager_email"


def _csv(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _two_hundred(*, errors: bool) -> bytes:
    """Ten team managers under Bexley's service manager, 190 social workers under them; with ``errors``,
    row 51 has an unknown role and row 121 a line manager in another organisation."""
    rows = []
    for n in range(200):
        team = f"Locality Team {n % 10 + 1}"
        if n < 10:
            rows.append(f"Manager {n} Example,manager{n}@bexley.example.org,Team manager,{team},"
                        "bexley-service-manager@example.org")
        else:
            rows.append(f"Worker {n} Example,worker{n}@bexley.example.org,social_worker,{team},"
                        f"manager{n % 10}@bexley.example.org")
    if errors:
        rows[49] = rows[49].replace("social_worker", "wizard")
        rows[119] = rows[119].replace(f"manager{119 % 10}@bexley.example.org", "stoke-team-manager@example.org")
    return _csv(rows)


def _upload(client, content: bytes, name: str = "hr-export.csv"):
    return client.post(reverse("administration:import"), {"file": SimpleUploadedFile(name, content, "text/csv")})


def test_a_200_person_file_with_two_errors_is_refused_then_fixed_applied_and_applied_again_changes_nothing(
    admin_client, org_admin, django_capture_on_commit_callbacks,
):
    staff_before = User.objects.count()
    assert _upload(admin_client, _two_hundred(errors=True))["Location"] == reverse("administration:import_preview")
    preview = admin_client.get(reverse("administration:import_preview")).content.decode()
    assert "2 rows cannot be imported" in preview
    assert "Row 51: Unknown role “wizard”." in preview
    assert "Row 121: The line manager stoke-team-manager@example.org works in another organisation." in preview
    assert "Apply the import" not in preview
    refused = admin_client.post(reverse("administration:import_preview"), follow=True)
    assert "Nothing was imported" in refused.content.decode()
    assert User.objects.count() == staff_before and not AuditEntry.objects.exists()
    assert not Team.objects.filter(name__startswith="Locality").exists()

    _upload(admin_client, _two_hundred(errors=False))
    preview = admin_client.get(reverse("administration:import_preview")).content.decode()
    assert "200 new, 0 changed, 0 unchanged, 0 with errors" in preview
    with django_capture_on_commit_callbacks(execute=True):
        applied = admin_client.post(reverse("administration:import_preview"), follow=True)
    assert "Imported: 200 new, 0 changed, 0 unchanged." in applied.content.decode()
    assert User.objects.count() == staff_before + 200
    worker = User.objects.get(email="worker57@bexley.example.org")
    assert (worker.first_name, worker.last_name, worker.role) == ("Worker 57", "Example", Role.SOCIAL_WORKER)
    assert worker.team.name == "Locality Team 8" and worker.line_manager.email == "manager7@bexley.example.org"
    assert worker.line_manager.line_manager.username == "bexley-service-manager"
    assert worker.organisation == org_admin.organisation and not worker.has_usable_password()
    assert len(mail.outbox) == 200
    assert AuditEntry.objects.filter(kind=AuditKind.PERSON_INVITED).count() == 200
    assert AuditEntry.objects.filter(kind=AuditKind.TEAM_CREATED).count() == 10
    audit_rows = AuditEntry.objects.count()

    _upload(admin_client, _two_hundred(errors=False))
    preview = admin_client.get(reverse("administration:import_preview")).content.decode()
    assert "0 new, 0 changed, 200 unchanged, 0 with errors" in preview and "nothing to change" in preview
    with django_capture_on_commit_callbacks(execute=True):
        again = admin_client.post(reverse("administration:import_preview"), follow=True)
    assert "Nothing to change" in again.content.decode()
    assert User.objects.count() == staff_before + 200 and AuditEntry.objects.count() == audit_rows
    assert len(mail.outbox) == 200


def test_every_kind_of_row_error_is_named_by_row(admin_client, people):
    content = _csv([
        "Ann One,ann@bexley.example.org,social_worker,,bob@bexley.example.org",       # row 2: loop with row 3
        "Bob Two,bob@bexley.example.org,team_manager,,ann@bexley.example.org",        # row 3: loop with row 2
        "Cat Three,cat@bexley.example.org,,,",                                        # row 4: no role
        "Dan Four,ann@bexley.example.org,social_worker,,",                            # row 5: duplicate e-mail
        ",eve@bexley.example.org,social_worker,,",                                    # row 6: no name
        "Fay Five,fay@bexley.example.org,Wizard,,",                                   # row 7: unknown role
        "Gus Six,gus@bexley.example.org,social_worker,,stoke-team-manager@example.org",  # row 8: other org
        "Hal Seven,hal@bexley.example.org,social_worker,,nobody@bexley.example.org",  # row 9: unknown manager
        "Stoke Person,stoke-crm@example.org,social_worker,,",                         # row 10: another org's
        "Ivy Eight,ivy@bexley.example.org,social_worker,,ivy@bexley.example.org",    # row 11: own manager
    ])
    _upload(admin_client, content)
    page = admin_client.get(reverse("administration:import_preview")).content.decode()
    expected = [
        "Row 2: A loop in line management: ann@bexley.example.org → bob@bexley.example.org → ann@bexley.example.org.",
        "Row 3: A loop in line management: ann@bexley.example.org → bob@bexley.example.org → ann@bexley.example.org.",
        "Row 4: The role is missing.",
        "Row 5: The e-mail address ann@bexley.example.org is also on row 2.",
        "Row 6: The name is missing.",
        "Row 7: Unknown role “Wizard”.",
        "Row 8: The line manager stoke-team-manager@example.org works in another organisation.",
        "Row 9: No one with the e-mail address nobody@bexley.example.org is in the file or the organisation",
        "Row 10: stoke-crm@example.org belongs to someone outside this organisation.",
        "Row 11: A person cannot be their own line manager",
    ]
    for error in expected:
        assert error in page, error
    assert "10 rows cannot be imported" in page


def test_a_loop_through_people_already_in_the_organisation_is_found(admin_client):
    """The Director is made a report of a new practitioner whom the team manager manages: a loop through
    the chain the organisation has already."""
    content = _csv([
        "Diane Okafor,bexley-director@example.org,director,,new.worker@bexley.example.org",
        "New Worker,new.worker@bexley.example.org,social_worker,,bexley-team-manager@example.org",
    ])
    _upload(admin_client, content)
    page = admin_client.get(reverse("administration:import_preview")).content.decode()
    assert "Row 2: A loop in line management: bexley-director@example.org → new.worker@bexley.example.org → " \
           "bexley-team-manager@example.org → bexley-service-manager@example.org" in page


def test_the_preview_shows_changed_fields_before_and_after(admin_client, people):
    content = _csv([
        "Sam Whitfield,bexley-practitioner@example.org,social_worker,Duty Team,bexley-team-manager@example.org",
        "Grace Mensah,BEXLEY-TEAM-MANAGER@example.org,Team manager,Assessment Team 2,"
        "bexley-service-manager@example.org",
    ], header="Name,E-mail,Role,Team,Line manager's e-mail")
    _upload(admin_client, content)
    page = admin_client.get(reverse("administration:import_preview")).content.decode()
    assert "0 new, 1 changed, 1 unchanged, 0 with errors" in page
    assert "team: Assessment Team 2 → Duty Team" in page and "New teams: Duty Team" in page
    admin_client.post(reverse("administration:import_preview"))
    person = User.objects.get(username="bexley-practitioner")
    assert person.team.name == "Duty Team"
    entry = AuditEntry.objects.get(kind=AuditKind.PERSON_CHANGED)
    assert entry.before == {"team": "Assessment Team 2"} and entry.after == {"team": "Duty Team",
                                                                             "source": "HR import"}


def test_a_role_change_that_strands_a_live_stage_is_a_row_error(admin_client, people, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    _upload(admin_client, _csv(["Grace Mensah,bexley-team-manager@example.org,social_worker,,"]))
    page = admin_client.get(reverse("administration:import_preview")).content.decode()
    assert "Row 2: Grace Mensah holds 1 live stage" in page
    admin_client.post(reverse("administration:import_preview"))
    assert User.objects.get(username="bexley-team-manager").role == Role.TEAM_MANAGER


@pytest.mark.parametrize(("content", "words"), [
    (b"x" * (MAX_BYTES + 1), "smaller than 1024 KB"),
    (b"", "Choose the CSV file"),
    (b"name,email\nA B,a@b.org\n", "no column for: role, team, line manager"),
])
def test_a_file_that_cannot_be_read_is_refused_on_the_field(admin_client, content, words):
    data = {"file": SimpleUploadedFile("hr.csv", content, "text/csv")} if content else {}
    response = admin_client.post(reverse("administration:import"), data)
    assert response.status_code == 200
    assert 'id="id_file-error"' in response.content.decode() and words in response.content.decode()


def test_only_the_organisation_administrator_imports(client, people):
    client.force_login(people["bexley-psw"])
    assert _upload(client, _csv(["A B,a@bexley.example.org,social_worker,,"])).status_code == 403
    assert client.get(reverse("administration:import_preview")).status_code == 403
