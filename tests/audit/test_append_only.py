"""The timeline and the audit tables are append-only: refused in Python (every ORM path), and on PostgreSQL
by triggers that refuse UPDATE and DELETE from raw SQL too. Retention's anonymisation has one narrow door:
inside ``core.models.anonymising()`` it may blank the timeline's free text, and nothing else."""
import pytest
from django.db import DatabaseError, connection, transaction

from administration.models import AuditEntry
from audit.models import AccessEvent, Action
from audit.services import access_record
from core.models import anonymising
from escalations.models import TimelineEntry
from oversight.models import SystemicIssueEvent

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the triggers exist on PostgreSQL only (CI runs the suite there too)")


@pytest.fixture
def records(raise_escalation, people):
    """One row of each append-only table."""
    from administration import services as administration
    from oversight import services as oversight

    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    administration.team_create(actor=people["bexley-org-admin"], name="Fostering")
    oversight.systemic_issue_create(
        actor=people["bexley-psw"], kind="it", title="Minutes cannot be attached", description="The upload fails.",
        owner=people["bexley-psw"])
    access_record(action=Action.ESCALATION_VIEWED, obj=escalation, user=people["bexley-psw"])
    return {
        TimelineEntry: escalation.timeline.get(),
        AccessEvent: AccessEvent.objects.filter(action=Action.ESCALATION_VIEWED).get(),
        AuditEntry: AuditEntry.objects.get(),
        SystemicIssueEvent: SystemicIssueEvent.objects.get(),
    }


MODELS = [TimelineEntry, AccessEvent, AuditEntry, SystemicIssueEvent]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_orm_path_to_change_or_delete_a_row_is_refused(records, model):
    row = records[model]
    text_field = {TimelineEntry: "note", AccessEvent: "path", AuditEntry: "subject",
                  SystemicIssueEvent: "kind"}[model]
    before = model.objects.filter(pk=row.pk).values(text_field).get()
    attempts = [
        lambda: model.objects.filter(pk=row.pk).update(**{text_field: "rewritten"}),
        lambda: model.objects.filter(pk=row.pk).delete(),
        lambda: model._base_manager.filter(pk=row.pk).update(**{text_field: "rewritten"}),
        lambda: model._base_manager.filter(pk=row.pk).delete(),
        lambda: model.objects.bulk_update([row], [text_field]),
        lambda: model.objects.filter(pk=row.pk)._raw_delete(connection.alias),
        lambda: row.save(),
        lambda: row.delete(),
        lambda: model.objects.filter(pk=row.pk).erase(**{text_field: ""}),  # outside anonymising()
    ]
    for attempt in attempts:
        with pytest.raises(PermissionError), transaction.atomic():
            attempt()
    assert model.objects.filter(pk=row.pk).values(text_field).get() == before


def test_anonymising_blanks_the_timeline_free_text_and_nothing_else(records):
    entry = records[TimelineEntry]
    entries = TimelineEntry.objects.filter(pk=entry.pk)
    with transaction.atomic(), anonymising():
        for refused in ({"note": "something else"}, {"action": ""}, {"params": {"added": "x"}}, {}):
            with pytest.raises(PermissionError):
                entries.erase(**refused)
        with pytest.raises(PermissionError):
            entries.update(note="")  # the ordinary paths stay refused inside it
        with pytest.raises(PermissionError):
            AccessEvent.objects.filter(pk=records[AccessEvent].pk).erase(path="")  # nothing erasable there
        blanked = {key: "" for key in entry.params}
        assert entries.erase(note="", params=blanked) == 1
    entry = TimelineEntry.objects.get(pk=entry.pk)
    assert (entry.note, set(entry.params.values()) <= {""}) == ("", True)
    assert entry.action == "raise"


@pytest.mark.django_db(transaction=True)
def test_anonymising_runs_only_inside_a_transaction():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"), anonymising():
        pass


# --- PostgreSQL: the triggers --------------------------------------------------------------------------
TABLES = {
    TimelineEntry: ("escalations_timelineentry", "note"),
    AccessEvent: ("audit_accessevent", "path"),
    AuditEntry: ("administration_auditentry", "subject"),
    SystemicIssueEvent: ("oversight_systemicissueevent", "kind"),
}


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@on_postgres
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_postgres_refuses_update_and_delete_from_raw_sql(records, model):
    table, column = TABLES[model]
    pk = records[model].pk
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', ["rewritten", pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f'DELETE FROM "{table}" WHERE id = %s', [pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f'DELETE FROM "{table}"')
    assert model.objects.filter(pk=pk).exists()


@on_postgres
def test_postgres_lets_anonymising_blank_the_timeline_notes_only(records):
    entry = records[TimelineEntry]
    anonymise = "SELECT set_config('escalation_tracker.anonymising', 'on', true)"

    def attempt(*statements):
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)

    update = 'UPDATE "escalations_timelineentry" SET {} WHERE id = %s'
    for refused in ["note = 'another text'", "action = 'respond'", "note = '', at = now()",
                    "params = params || '{\"added\": \"x\"}'::jsonb"]:
        with pytest.raises(DatabaseError):
            attempt((anonymise, []), (update.format(refused), [entry.pk]))
    with pytest.raises(DatabaseError, match="append-only"):
        attempt((anonymise, []), ('DELETE FROM "escalations_timelineentry" WHERE id = %s', [entry.pk]))
    with pytest.raises(DatabaseError, match="append-only"):  # the setting belongs to one transaction only
        attempt((update.format("note = ''"), [entry.pk]))
    with pytest.raises(DatabaseError, match="append-only"):  # the audit tables have nothing to blank
        attempt((anonymise, []), ('UPDATE "audit_accessevent" SET path = \'\' WHERE id = %s',
                                  [records[AccessEvent].pk]))
    attempt((anonymise, []), (update.format("note = ''"), [entry.pk]))
    assert TimelineEntry.objects.get(pk=entry.pk).note == ""


@on_postgres
def test_postgres_guards_the_rest_of_the_transaction_after_anonymising(records):
    entry = records[TimelineEntry]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with anonymising():
            TimelineEntry.objects.filter(pk=entry.pk).erase(note="")
        with connection.cursor() as cursor:
            cursor.execute('UPDATE "escalations_timelineentry" SET note = %s WHERE id = %s', ["again", entry.pk])
    assert TimelineEntry.objects.get(pk=entry.pk).note == records[TimelineEntry].note
