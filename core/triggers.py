"""Append-only tables in the database itself: PostgreSQL triggers that refuse UPDATE and DELETE.

A migration adds the trigger to a table with ``append_only(table, erasable=(...))``. On other databases
(SQLite in development and tests) the operation does nothing and the models' own refusals
(``core.models.AppendOnlyQuerySet``) stand alone.

The trigger lets exactly one kind of UPDATE through: while ``escalation_tracker.anonymising`` is 'on' for
the transaction (``core.models.anonymising()``), a row may have the columns named as erasable blanked
(a text made "", a JSON object's values made "" or its keys dropped) with every other column unchanged.
"""
from __future__ import annotations

from django.db import migrations

from .models import ANONYMISING_SETTING

FUNCTION = f"""
CREATE OR REPLACE FUNCTION append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
    old_row jsonb;
    new_row jsonb;
BEGIN
    IF TG_OP = 'UPDATE' AND TG_NARGS > 0
       AND coalesce(current_setting('{ANONYMISING_SETTING}', true), '') = 'on' THEN
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        IF (old_row - TG_ARGV) = (new_row - TG_ARGV) THEN
            FOREACH col IN ARRAY TG_ARGV LOOP
                IF NOT (
                    new_row -> col = old_row -> col
                    OR new_row -> col = '""'::jsonb
                    OR (jsonb_typeof(old_row -> col) = 'object' AND jsonb_typeof(new_row -> col) = 'object'
                        AND NOT EXISTS (
                            SELECT 1 FROM jsonb_each(new_row -> col) AS kept
                            WHERE NOT ((old_row -> col) ? kept.key
                                       AND ((old_row -> col) -> kept.key = kept.value
                                            OR kept.value = '""'::jsonb))))
                ) THEN
                    RAISE EXCEPTION 'anonymising %: % may only be blanked', TG_TABLE_NAME, col
                        USING ERRCODE = 'restrict_violation';
                END IF;
            END LOOP;
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% on % is refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def _trigger_name(table: str) -> str:
    return f"{table}_append_only"[:63]


def append_only(table: str, *, erasable: tuple[str, ...] = ()) -> migrations.RunPython:
    """A migration operation: on PostgreSQL, refuse UPDATE and DELETE on ``table`` (see the module)."""
    arguments = ", ".join(f"'{column}'" for column in erasable)

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {_trigger_name(table)} ON "{table}"')
        schema_editor.execute(
            f'CREATE TRIGGER {_trigger_name(table)} BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION append_only_guard({arguments})"
        )

    def backwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {_trigger_name(table)} ON "{table}"')

    return migrations.RunPython(forwards, backwards, elidable=False)
