"""The retention period (issue 14, item 8): a closed escalation kept longer than its organisations' period is
anonymised by the nightly run, its free text and attachments erased, its timeline's rows kept, each erasure
audited, and a second run changes nothing."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from administration.models import AuditEntry, AuditKind
from administration.retention import retention_apply
from administration.services import organisation_retention_set
from cases.models import Case
from core.errors import ActionConflict
from escalations import services
from escalations.attachments import attachment_create
from escalations.models import Attachment, BoardLog, Debrief, Escalation, TimelineEntry
from escalations.retention import ERASED_DIGEST, ERASED_MESSAGE, FREE_TEXT_FIELDS
from notifications.models import Kind, Notification
from organisations.models import RETENTION_DEFAULT_DAYS, Organisation
from tests.factories import administrator_create

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TIMELINE_KEPT = ("pk", "at", "actor_id", "action", "from_state", "to_state", "stage_index")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENTS_ROOT


def closed_days_ago(escalation: Escalation, days: int) -> Escalation:
    Escalation.objects.filter(pk=escalation.pk).update(closed_at=timezone.now() - dt.timedelta(days=days))
    return Escalation.objects.get(pk=escalation.pk)


@pytest.fixture
def resolved(people, raise_escalation):
    """A multi-agency escalation with everything typed into it: a note, a board log, an attachment, a decision,
    the written confirmation and a debrief; resolved, on a case with the child's initials."""
    raiser = people["puddleducks-practitioner"]
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    Case.objects.filter(pk=esc.case_id).update(display_name="J.S.")
    services.escalation_add_note(escalation=esc, actor=raiser, note="Phoned J.S.'s mother about the plan.")
    services.escalation_log_with_board(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                                       reason="Serious concern about J.S.")
    attachment_create(escalation=esc, actor=raiser,
                      upload=SimpleUploadedFile("js-minutes.pdf", PDF, content_type="application/pdf"),
                      description="Minutes of the meeting about J.S.")
    esc = Escalation.objects.get(pk=esc.pk)
    services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree",
                                rationale="J.S. needs a reassessment.")
    services.escalation_accept(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                               agreed_outcome="Reassess J.S. this week.", outstanding_actions="The plan for J.S.")
    services.escalation_record_debrief(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                                       note="Working with J.S.'s social worker went well.")
    return Escalation.objects.get(pk=esc.pk)


def snapshot() -> dict[str, list]:
    """Every row the retention run may touch, as values: equal snapshots mean nothing changed."""
    return {
        "escalations": list(Escalation.objects.order_by("pk").values()),
        "timeline": list(TimelineEntry.objects.order_by("pk").values()),
        "cases": list(Case.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "debriefs": list(Debrief.objects.order_by("pk").values()),
        "board_logs": list(BoardLog.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


# --- what is erased, what is kept ------------------------------------------------------------------------
def test_a_closed_escalation_past_its_period_loses_what_was_typed_and_keeps_its_timeline(resolved, private_root):
    esc = closed_days_ago(resolved, RETENTION_DEFAULT_DAYS + 1)
    timeline_before = list(TimelineEntry.objects.filter(escalation=esc).values(*TIMELINE_KEPT))
    attachment = Attachment.objects.get(escalation=esc)
    stored = Path(private_root) / attachment.file.name
    assert stored.read_bytes() == PDF
    assert Notification.objects.filter(escalation=esc).exists()
    now = timezone.now()

    report = retention_apply(now=now)

    assert (report.escalations, report.cases) == (1, 1)
    esc.refresh_from_db()
    assert esc.anonymised_at == now
    assert all(getattr(esc, field) == "" for field in FREE_TEXT_FIELDS)
    assert (esc.state, esc.category, esc.risk_level, esc.stage_index) == (resolved.state, resolved.category,
                                                                          resolved.risk_level, resolved.stage_index)
    # The timeline: the same rows, who, when, what, the states; no text left in any of them.
    assert list(TimelineEntry.objects.filter(escalation=esc).values(*TIMELINE_KEPT)) == timeline_before
    rows = list(TimelineEntry.objects.filter(escalation=esc))
    assert {row.action for row in rows} >= {"raise", "note", "log_with_board", "attach", "respond", "accept",
                                            "record_debrief"}
    assert all(row.note == "" for row in rows)
    assert not any({"name", "outstanding_actions"} & set(row.params) for row in rows)
    assert next(row for row in rows if row.action == "respond").params["decision"] == "agree"
    # The attachment: the file gone from the storage, the row keeps its kind, size, uploader and time.
    attachment.refresh_from_db()
    assert not stored.exists()
    assert (attachment.file.name, attachment.original_name, attachment.description) == ("", "", "")
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(PDF))
    assert BoardLog.objects.get(escalation=esc).reason == ""
    assert Debrief.objects.get(escalation=esc).note == ""
    assert set(Notification.objects.filter(escalation=esc).values_list("message", flat=True)) == {ERASED_MESSAGE}
    assert not any(Notification.objects.filter(escalation=esc).values_list("params", flat=True))
    case = Case.objects.get(pk=esc.case_id)
    assert (case.reference, case.display_name, case.anonymised_at) == (f"erased-{case.pk}", "", now)
    # Nothing typed about the child is left anywhere in the rows.
    assert "J.S." not in repr(snapshot())


def test_each_erasure_is_audited_for_every_organisation_that_held_it(resolved):
    esc = closed_days_ago(resolved, RETENTION_DEFAULT_DAYS + 1)
    retention_apply()

    entries = AuditEntry.objects.filter(kind=AuditKind.ESCALATION_ANONYMISED)
    assert {entry.organisation.slug for entry in entries} == {"puddleducks", "wiltshire"}
    entry = entries.get(organisation__slug="wiltshire")
    assert entry.actor is None and entry.subject == f"Escalation {esc.pk}"
    assert entry.after["escalation"] == esc.pk and entry.after["retention_days"] == RETENTION_DEFAULT_DAYS
    assert (entry.after["attachments"], entry.after["debriefs"], entry.after["board_logs"]) == (1, 1, 1)
    assert entry.after["timeline_entries"] >= 7
    case_entry = AuditEntry.objects.get(kind=AuditKind.CASE_ANONYMISED)
    assert case_entry.organisation.slug == "puddleducks" and case_entry.subject == f"Case {esc.case_id}"
    # The audit log names the escalation and the case by number, never the case's reference.
    assert resolved.case.reference not in repr(list(AuditEntry.objects.values()))


def test_a_second_run_changes_nothing(resolved, django_assert_max_num_queries):
    closed_days_ago(resolved, RETENTION_DEFAULT_DAYS + 1)
    retention_apply()
    before = snapshot()

    # Nothing is due: a few queries to find that out, however many escalations there are.
    with django_assert_max_num_queries(6):
        report = retention_apply()

    assert (report.escalations, report.cases, report.digests) == (0, 0, 0)
    assert snapshot() == before


# --- what is not touched ---------------------------------------------------------------------------------
def test_an_escalation_within_its_period_is_kept_in_full(resolved):
    closed_days_ago(resolved, RETENTION_DEFAULT_DAYS - 1)
    before = snapshot()
    assert retention_apply().escalations == 0
    assert snapshot() == before


def test_the_longest_period_of_the_organisations_that_hold_it_applies(resolved):
    """Puddleducks keeps a month, Wiltshire two years: the receiving organisation's record is not cut short."""
    Organisation.objects.filter(slug="puddleducks").update(retention_days=30)
    Organisation.objects.filter(slug="wiltshire").update(retention_days=730)
    closed_days_ago(resolved, 400)
    assert retention_apply().escalations == 0

    closed_days_ago(resolved, 731)
    assert retention_apply().escalations == 1


def test_a_live_escalation_is_never_anonymised_however_old(raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    Escalation.objects.filter(pk=esc.pk).update(raised_at=timezone.now() - dt.timedelta(days=3000))
    before = snapshot()
    assert retention_apply().escalations == 0
    assert snapshot() == before


def test_a_withdrawn_escalation_is_anonymised_but_the_case_keeps_its_name_while_another_is_kept(
        people, raise_escalation):
    first = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-555001")
    second = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-555001")
    Case.objects.filter(pk=first.case_id).update(display_name="A.B.")
    services.escalation_withdraw(escalation=first, actor=people["bexley-practitioner"], reason="Resolved by phone.")
    closed_days_ago(first, RETENTION_DEFAULT_DAYS + 1)

    report = retention_apply()

    assert (report.escalations, report.cases) == (1, 0)
    assert Escalation.objects.get(pk=first.pk).concern == ""
    assert Escalation.objects.get(pk=second.pk).concern != ""
    case = Case.objects.get(pk=first.case_id)
    assert (case.reference, case.display_name, case.anonymised_at) == ("LCS-555001", "A.B.", None)


def test_a_case_that_never_had_an_escalation_is_anonymised_after_its_period(people):
    from cases.services import case_get_or_create

    bexley = Organisation.objects.get(slug="bexley")
    old, _ = case_get_or_create(organisation=bexley, reference="LCS-777001", display_name="C.D.")
    new, _ = case_get_or_create(organisation=bexley, reference="LCS-777002", display_name="E.F.")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=RETENTION_DEFAULT_DAYS + 1))

    assert retention_apply().cases == 1

    assert Case.objects.get(pk=old.pk).display_name == ""
    assert Case.objects.get(pk=new.pk).display_name == "E.F."
    assert AuditEntry.objects.get(kind=AuditKind.CASE_ANONYMISED).subject == f"Case {old.pk}"


def test_old_digests_lose_their_lists_of_cases(people):
    psw = people["bexley-psw"]
    old = Notification.objects.create(
        recipient=psw, kind=Kind.PSW_DIGEST, dedupe_key="old-digest", message="1 overdue: case LCS-104233.",
        params={"overdue": [{"reference": "LCS-104233"}]},
        created_at=timezone.now() - dt.timedelta(days=RETENTION_DEFAULT_DAYS + 1),
    )
    recent = Notification.objects.create(recipient=psw, kind=Kind.PSW_DIGEST, dedupe_key="recent-digest",
                                         message="1 overdue: case LCS-104234.", params={"overdue": [{}]})

    assert retention_apply().digests == 1

    old.refresh_from_db()
    assert (old.message, old.params, old.kind) == (ERASED_DIGEST, {}, Kind.PSW_DIGEST)
    assert Notification.objects.get(pk=recent.pk).message == "1 overdue: case LCS-104234."
    entry = AuditEntry.objects.get(kind=AuditKind.DIGESTS_ERASED)
    assert entry.organisation.slug == "bexley" and entry.after["digests"] == 1


# --- an anonymised escalation takes nothing more ------------------------------------------------------------
def test_an_anonymised_escalation_refuses_notes_debriefs_reopening_board_logs_and_attachments(resolved, people):
    closed_days_ago(resolved, RETENTION_DEFAULT_DAYS + 1)
    retention_apply()
    esc = Escalation.objects.get(pk=resolved.pk)
    raiser = people["puddleducks-practitioner"]
    holder = Escalation.objects.get(pk=resolved.pk).holder
    before = snapshot()

    for attempt in (
        lambda: services.escalation_add_note(escalation=esc, actor=raiser, note="More about the child."),
        lambda: services.escalation_reopen(escalation=esc, actor=raiser, reason="Overturned."),
        lambda: services.escalation_record_debrief(escalation=esc, actor=holder, note="Late debrief."),
        lambda: services.escalation_log_with_board(escalation=esc, actor=raiser, reason="Unresolved.",
                                                   kind="unresolved"),
        lambda: attachment_create(escalation=esc, actor=raiser,
                                  upload=SimpleUploadedFile("more.pdf", PDF, content_type="application/pdf")),
    ):
        with pytest.raises(ActionConflict, match="retention period has passed"):
            attempt()
    assert snapshot() == before


# --- the organisation's administrator sets the period --------------------------------------------------------
def test_the_administrator_sets_the_period_and_the_change_is_audited(people, client):
    admin = administrator_create(username="bexley-org-admin", organisation="bexley")
    client.force_login(admin)

    page = client.get("/administration/retention/")
    assert page.status_code == 200 and b"Retention period" in page.content
    response = client.post("/administration/retention/", {"retention_days": "730"})

    assert response.status_code == 302
    assert Organisation.objects.get(slug="bexley").retention_days == 730
    entry = AuditEntry.objects.get(kind=AuditKind.RETENTION_CHANGED)
    assert (entry.actor, entry.before, entry.after) == (admin, {"retention_days": RETENTION_DEFAULT_DAYS},
                                                        {"retention_days": 730})


@pytest.mark.parametrize(("value", "reason"), [
    ("", "Enter the number of days"),
    ("a year", "whole number"),
    ("7", "between 30 and 2190 days"),
    ("9999", "between 30 and 2190 days"),
])
def test_a_bad_period_is_refused_with_the_field_and_changes_nothing(people, client, value, reason):
    admin = administrator_create(username="bexley-org-admin", organisation="bexley")
    client.force_login(admin)

    response = client.post("/administration/retention/", {"retention_days": value})

    assert response.status_code == 200 and reason in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        organisation_retention_set(actor=admin, retention_days=value)
    assert list(refused.value.message_dict) == ["retention_days"]
    assert Organisation.objects.get(slug="bexley").retention_days == RETENTION_DEFAULT_DAYS
    assert not AuditEntry.objects.filter(kind=AuditKind.RETENTION_CHANGED).exists()


@pytest.mark.parametrize("username", ["bexley-psw", "bexley-director", "bexley-practitioner"])
def test_only_the_organisation_administrator_may_set_it(people, client, username):
    client.force_login(people[username])
    assert client.get("/administration/retention/").status_code == 403
    assert client.post("/administration/retention/", {"retention_days": "30"}).status_code == 403
    assert Organisation.objects.get(slug="bexley").retention_days == RETENTION_DEFAULT_DAYS


# --- run by beat, and by hand ---------------------------------------------------------------------------------
def test_beat_runs_it_nightly_and_the_command_runs_the_same_code(resolved):
    from io import StringIO

    from django_celery_beat.models import PeriodicTask

    from administration.tasks import apply_retention
    from deadlines.schedules import RETENTION_NAME

    call_command("setup_clock", stdout=StringIO())
    row = PeriodicTask.objects.select_related("crontab").get(name=RETENTION_NAME)
    assert (row.task, row.crontab.hour, row.crontab.minute, row.enabled) == (
        "administration.tasks.apply_retention", "2", "30", True)

    closed_days_ago(resolved, RETENTION_DEFAULT_DAYS + 1)
    assert apply_retention.delay().get() == "retention: 1 escalation(s) anonymised, 1 case(s) anonymised, " \
                                            "0 digest(s) erased"
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "0 escalation(s) anonymised" in out.getvalue()


def test_an_anonymised_escalation_still_shows_its_timeline_and_says_why_its_text_is_gone(resolved, people, client):
    closed_days_ago(resolved, RETENTION_DEFAULT_DAYS + 1)
    retention_apply()
    client.force_login(people["puddleducks-practitioner"])

    page = client.get(f"/escalations/{resolved.pk}/")
    record = client.get(f"/escalations/{resolved.pk}/record/")
    api = client.get(f"/api/v1/escalations/{resolved.pk}/")

    assert page.status_code == record.status_code == api.status_code == 200
    assert "Its retention period has passed" in page.content.decode()
    assert len(api.json()["timeline"]) == TimelineEntry.objects.filter(escalation=resolved).count()
    for response in (page, record, api):
        assert "J.S." not in response.content.decode()
