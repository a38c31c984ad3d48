"""An organisation set up from nothing, as docs/administration.md tells it: the platform's command, then the
administrator's own pages."""
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from administration.models import AuditKind
from organisations.models import Organisation, Role, Tier, User

pytestmark = pytest.mark.django_db


def test_a_new_nursery_is_set_up_and_run_by_its_own_administrator(client, ladders, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://tracker.example.org"
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_organisation", "acorns", "Acorns Day Nursery", "--kind", "nursery",
                     "--admin-name", "Alex Rowe", "--admin-email", "alex.rowe@acorns.example.org", stdout=out)
    assert "organisation acorns: created" in out.getvalue()
    acorns = Organisation.objects.get(slug="acorns")
    assert acorns.tier_of(Role.DESIGNATED_SAFEGUARDING_LEAD) == Tier.MANAGER  # the nursery's default mapping

    link = re.search(r"https://tracker\.example\.org(/set-password/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "acorns-admin-pass-1",
                                             "new_password2": "acorns-admin-pass-1"})
    signed_in = client.post("/sign-in/", {"username": "alex.rowe@acorns.example.org",
                                         "password": "acorns-admin-pass-1"})
    assert signed_in.status_code == 302
    assert client.get(reverse("home"))["Location"] == reverse("administration:home")

    assert client.post(reverse("administration:settings"), {
        "close_of_business": "18:00", "emergency_contacts": "Police: 999", "out_of_hours_contacts": "EDT: 0300 1",
    }).status_code == 302
    assert client.post(reverse("administration:closure_days"), {"date": "29/12/2026", "reason": "Winter"}).status_code \
        == 302
    staff = (b"name,email,role,team,line_manager_email\n"
             b"Mo Khan,mo@acorns.example.org,Nursery manager,,\n"
             b"Di Lee,di@acorns.example.org,Designated safeguarding lead,Rooms,mo@acorns.example.org\n"
             b"Jo Tan,jo@acorns.example.org,practitioner,Rooms,di@acorns.example.org\n")
    client.post(reverse("administration:import"), {"file": SimpleUploadedFile("staff.csv", staff, "text/csv")})
    client.post(reverse("administration:import_preview"))
    assert User.objects.get(email="jo@acorns.example.org").line_manager.email == "di@acorns.example.org"

    log = client.get(reverse("administration:audit")).content.decode()
    for words in ("Organisation created", "Organisation settings changed", "Closure day added", "Team created",
                  "Person invited", "Platform set-up"):
        assert words in log, words
    assert acorns.audit_entries.filter(kind=AuditKind.PERSON_INVITED).count() == 3


def test_the_command_refuses_bad_input_and_creates_nothing(ladders):
    with pytest.raises(CommandError, match="slug: An organisation with this slug exists already"):
        call_command("create_organisation", "bexley", "Another Bexley", "--admin-name", "A B",
                     "--admin-email", "ab@example.org")
    with pytest.raises(CommandError, match="email: Enter an e-mail address in the right format"):
        call_command("create_organisation", "newco", "New Co", "--admin-name", "A B", "--admin-email", "nope")
    assert not Organisation.objects.filter(slug="newco").exists()
