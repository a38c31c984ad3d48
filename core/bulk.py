"""INSERT many rows in few statements, for the writes that come in batches (the deadline clock's).

Django's ``bulk_create`` builds and converts a model instance per row; the rows of one batch share
most of their values (kind, times, stage, deadline), and that overhead was about 40% of the clock's
sweep (``bench/sweep.py``). ``rows_insert`` converts each distinct value once.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.fields import AutoFieldMixin
from django.utils.hashable import make_hashable


def rows_insert(model: type[Model], rows: Sequence[Mapping[str, Any]], *, ignore_conflicts: bool = False,
                returning: bool = False) -> list[int]:
    """INSERT rows given as {attname: value}, in as few statements as the database takes.

    A field a row leaves out gets its default, evaluated once for the call. With ``returning``,
    give the primary keys of the rows inserted: with ``ignore_conflicts`` a row the database
    refused (a duplicate key) returns none, so the keys name exactly what is new. Both databases the
    project runs on (PostgreSQL, SQLite 3.35 or later) return rows from an INSERT.
    """
    if not rows:
        return []
    ops = connection.ops
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    columns = [(f, f.attname, f.get_default()) for f in fields]
    converted: dict[tuple, Any] = {}
    values: list[Any] = []
    for row in rows:
        for f, attname, default in columns:
            value = row.get(attname, default)
            try:
                key = (attname, type(value), value)
                prepared = converted[key]
            except KeyError:
                prepared = converted[key] = f.get_db_prep_save(value, connection)
            except TypeError:  # a JSON dict or list: keyed by its hashable form
                key = (attname, type(value), make_hashable(value))
                if key not in converted:
                    converted[key] = f.get_db_prep_save(value, connection)
                prepared = converted[key]
            values.append(prepared)
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    head = (f"{ops.insert_statement(on_conflict=on_conflict)} {ops.quote_name(meta.db_table)} "
            f"({', '.join(ops.quote_name(f.column) for f in fields)}) VALUES ")
    tail = ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or ""
    if returning:
        tail += f" RETURNING {ops.quote_name(meta.pk.column)}"
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(ops.bulk_batch_size(fields, rows), 1)
    width = len(fields)
    inserted: list[int] = []
    with connection.cursor() as cursor:
        for first in range(0, len(rows), per_statement):
            count = min(per_statement, len(rows) - first)
            cursor.execute(head + ", ".join([placeholders] * count) + " " + tail,
                           values[first * width:(first + count) * width])
            if returning:
                inserted.extend(row[0] for row in cursor.fetchall())
    return inserted
