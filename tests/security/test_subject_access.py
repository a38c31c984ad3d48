"""The subject-access export (issue 14, item 8): everything held about one case, as one JSON document, for
the principal social worker of the case's organisation only, from a page, the API and a command."""
from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from cases.models import Case
from escalations import services
from escalations.attachments import attachment_create
from escalations.models import Escalation, TimelineEntry
from notifications.models import Kind, Notification
from organisations.models import User
from tests.factories import UserFactory, administrator_create

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
REFERENCE = "LCS-900001"
# The escalation's columns the export leaves out, each for a reason: the rest must all be in it.
NOT_EXPORTED = {
    "case": "the document is about this case: it is the top of the document",
    "version": "a counter for refusing stale forms, about no one",
    "missed_deadline_handled": "the clock's bookkeeping: the timeline says what the clock did",
    "overall_deadline_handled": "the clock's bookkeeping: the timeline says what the clock did",
    "stage_index": "exported as stage.index, with the stage's name",
}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"


def held_in_full(people, raise_escalation, reference: str = REFERENCE) -> Escalation:
    """A Bexley escalation with everything in it: a note, an attachment, a decision, the written confirmation,
    a debrief, notifications, and a PSW digest that lists it."""
    raiser = people["bexley-practitioner"]
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference=reference)
    Case.objects.filter(pk=esc.case_id).update(display_name="K.L.")
    services.escalation_add_note(escalation=esc, actor=raiser, note="Spoke to the school about K.L.")
    attachment_create(escalation=esc, actor=raiser,
                      upload=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
                      description="Strategy meeting minutes")
    esc = Escalation.objects.get(pk=esc.pk)
    services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Reassess now.")
    services.escalation_accept(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                               agreed_outcome="Reassessment booked.", outstanding_actions="Review in a month.")
    services.escalation_record_debrief(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                                       note="Quick and respectful.")
    Notification.objects.create(recipient=people["bexley-psw"], kind=Kind.PSW_DIGEST, dedupe_key=f"digest-{esc.pk}",
                                message=f"1 overdue: escalation {esc.pk} (case {reference}).",
                                params={"overdue": [{"id": esc.pk, "reference": reference}]})
    return Escalation.objects.get(pk=esc.pk)


@pytest.fixture
def escalation(people, raise_escalation):
    return held_in_full(people, raise_escalation)


def download(client, user: User, reference: str = REFERENCE):
    client.force_login(user)
    return client.post("/escalations/subject-access/", {"reference": reference})


# --- what it holds --------------------------------------------------------------------------------------------
def test_the_psw_downloads_everything_held_about_the_case(client, people, escalation):
    Notification.objects.create(recipient=people["bexley-psw"], kind=Kind.PSW_DIGEST, dedupe_key="other-digest",
                                message="1 overdue: another case.", params={"overdue": [{"id": 999999}]})
    response = download(client, people["bexley-psw"])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(f'attachment; filename="subject-access-{REFERENCE}-')
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["case"]["reference"] == REFERENCE and document["case"]["display_name"] == "K.L."
    assert document["case"]["organisation"] == "bexley"
    assert document["generated_by"]["username"] == "bexley-psw"
    (exported,) = document["escalations"]
    assert exported["id"] == escalation.pk
    assert (exported["concern"], exported["decision_challenged"], exported["desired_outcome"]) == (
        escalation.concern, escalation.decision_challenged, escalation.desired_outcome)
    assert (exported["agreed_outcome"], exported["outstanding_actions"]) == ("Reassessment booked.",
                                                                             "Review in a month.")
    assert exported["rationale"] == "Reassess now." and exported["state"] == "resolved"
    # Every timeline entry, with its text.
    assert len(exported["timeline"]) == TimelineEntry.objects.filter(escalation=escalation).count()
    assert "Spoke to the school about K.L." in [entry["note"] for entry in exported["timeline"]]
    assert [d["note"] for d in exported["debriefs"]] == ["Quick and respectful."]
    (attachment,) = exported["attachments"]
    assert (attachment["name"], attachment["size"], attachment["description"], attachment["file_kept"]) == (
        "minutes.pdf", len(PDF), "Strategy meeting minutes", True)
    assert {p["person"]["username"] for p in exported["participants"]} >= {"bexley-practitioner",
                                                                           "bexley-team-manager"}
    # Every notification about it, and the digest that lists it (not the one that does not).
    assert len(exported["notifications"]) == Notification.objects.filter(escalation=escalation).count() > 0
    assert [d["params"]["overdue"][0]["id"] for d in document["digests_listing_the_case"]] == [escalation.pk]


def test_every_field_of_the_escalation_is_exported_or_left_out_for_a_stated_reason(client, people, escalation):
    exported = json.loads(download(client, people["bexley-psw"]).content)["escalations"][0]
    fields = {field.name for field in Escalation._meta.concrete_fields}
    assert fields - set(exported) - {"id"} == set(NOT_EXPORTED)


def test_the_api_answers_the_same_document(client, people, escalation):
    api = APIClient()
    api.force_authenticate(people["bexley-psw"])

    response = api.get("/api/v1/cases/subject-access/", {"reference": REFERENCE})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = json.loads(download(client, people["bexley-psw"]).content)
    document = response.json()
    assert {**document, "generated_at": None} == {**page, "generated_at": None}


def test_the_export_costs_the_same_queries_for_one_escalation_or_three(people, raise_escalation,
                                                                        django_assert_num_queries):
    from escalations.subject_access import subject_access_document

    held_in_full(people, raise_escalation, reference="LCS-900010")
    for _ in range(3):
        held_in_full(people, raise_escalation, reference="LCS-900030")
    one = Case.objects.get(reference="LCS-900010")
    three = Case.objects.get(reference="LCS-900030")
    psw = people["bexley-psw"]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        subject_access_document(case=one, actor=psw)
    with django_assert_num_queries(len(first)):
        document = subject_access_document(case=three, actor=psw)
    assert len(document["escalations"]) == 3


# --- who may ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", [
    "bexley-practitioner",  # the raiser: sees their own part, not everything held
    "bexley-team-manager", "bexley-director", "bexley-org-admin", "wiltshire-board-member", "wiltshire-qap-chair",
    "puddleducks-practitioner", "superuser",
])
def test_anyone_but_a_psw_is_refused_the_page_and_the_api(client, people, escalation, username):
    if username == "bexley-org-admin":
        user = administrator_create(username=username, organisation="bexley")
    elif username == "superuser":
        user = UserFactory(username="root", is_superuser=True, is_staff=True, organisation=None)
    else:
        user = people[username]
    client.force_login(user)
    assert client.get("/escalations/subject-access/").status_code == 403
    assert client.post("/escalations/subject-access/", {"reference": REFERENCE}).status_code == 403
    api = APIClient()
    api.force_authenticate(user)
    response = api.get("/api/v1/cases/subject-access/", {"reference": REFERENCE})
    assert response.status_code == 403 and response["Content-Type"].startswith("application/json")
    assert REFERENCE not in response.content.decode()


def test_another_organisations_psw_is_told_there_is_no_such_case_as_for_a_missing_one(client, people, escalation):
    stoke_psw = people["stoke-psw"]
    theirs = download(client, stoke_psw, REFERENCE)
    missing = download(client, stoke_psw, "LCS-000000")
    assert theirs.status_code == missing.status_code == 200  # the form again, with the error on the field
    assert "holds no case with this reference" in theirs.content.decode()
    def page(response, reference: str) -> str:
        return re.sub(r'value="[^"]{64}"', "", response.content.decode()).replace(reference, "")  # CSRF tokens

    assert page(theirs, REFERENCE) == page(missing, "LCS-000000")
    assert "K.L." not in theirs.content.decode()

    api = APIClient()
    api.force_authenticate(stoke_psw)
    assert api.get("/api/v1/cases/subject-access/", {"reference": REFERENCE}).status_code == 404
    assert api.get("/api/v1/cases/subject-access/", {"reference": "LCS-000000"}).status_code == 404


def test_without_credentials_the_api_refuses_in_json(escalation):
    response = APIClient().get("/api/v1/cases/subject-access/", {"reference": REFERENCE})
    assert response.status_code in (401, 403) and response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("query", "field"), [({}, "reference"), ({"reference": "x" * 65}, "reference")])
def test_a_bad_reference_is_refused_with_the_field(people, query, field):
    api = APIClient()
    api.force_authenticate(people["bexley-psw"])
    response = api.get("/api/v1/cases/subject-access/", query)
    assert response.status_code == 400 and field in response.json()


def test_an_export_is_recorded_without_the_reference(client, people, escalation, caplog):
    with caplog.at_level("INFO", logger="escalations.subject_access"):
        download(client, people["bexley-psw"])
    (record,) = [r for r in caplog.records if getattr(r, "event", "") == "subject_access_export"]
    assert (record.case_id, record.user_id, record.via) == (escalation.case_id, people["bexley-psw"].pk, "page")
    assert REFERENCE not in record.getMessage() and REFERENCE not in repr(vars(record))


# --- the command ----------------------------------------------------------------------------------------------
def test_the_command_writes_the_same_document_to_a_private_file(people, escalation, tmp_path, client):
    target = tmp_path / "export.json"
    call_command("subject_access_export", "--organisation", "bexley", "--reference", REFERENCE,
                 "--output", str(target))
    document = json.loads(target.read_text())
    assert target.stat().st_mode & 0o077 == 0
    page = json.loads(download(client, people["bexley-psw"]).content)
    assert {**document, "generated_at": None, "generated_by": None} == {
        **page, "generated_at": None, "generated_by": None}

    with pytest.raises(CommandError, match="exists"):
        call_command("subject_access_export", "--organisation", "bexley", "--reference", REFERENCE,
                     "--output", str(target))
    with pytest.raises(CommandError, match="holds no case"):
        call_command("subject_access_export", "--organisation", "stoke", "--reference", REFERENCE,
                     stdout=StringIO())
