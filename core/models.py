"""Model pieces more than one app uses.

Append-only records (a timeline, a register's history, the audit logs) refuse every change here, in
Python, and on PostgreSQL in the database as well (triggers: ``core.triggers``). The one exception is
retention's anonymisation, which blanks the free text a record names as erasable, and nothing else,
inside ``anonymising()``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.db import DEFAULT_DB_ALIAS, connections, models

# The PostgreSQL setting the append-only triggers read: 'on' lets an UPDATE through that only blanks the
# erasable free text of a row (``core.triggers``). Set for one transaction only, by ``anonymising()``.
ANONYMISING_SETTING = "escalation_tracker.anonymising"

_anonymising: ContextVar[bool] = ContextVar("append_only_anonymising", default=False)


@contextmanager
def anonymising(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Allow ``AppendOnlyQuerySet.erase()`` (retention's anonymisation) inside the current transaction.

    The only way to change an append-only row: the erasable free text is blanked, every other column is
    left as it was. It must run inside ``transaction.atomic()``; on PostgreSQL it sets
    ``escalation_tracker.anonymising`` for this transaction only (``SET LOCAL``) and switches it off again on
    the way out, so the rest of the transaction is guarded as before.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("anonymising() must run inside transaction.atomic()")
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [ANONYMISING_SETTING])
    token = _anonymising.set(True)
    try:
        yield
    finally:
        _anonymising.reset(token)
        if postgres and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [ANONYMISING_SETTING])


def _blanked(old: Any, new: Any) -> bool:
    """Whether ``new`` is ``old`` with some of its free text blanked: "" for a text; for a JSON object, the
    same keys or fewer, each value kept or made ""."""
    if new == old or new == "":
        return True
    if isinstance(old, dict) and isinstance(new, dict):
        return all(key in old and (value == old[key] or value == "") for key, value in new.items())
    return False


class AppendOnlyQuerySet(models.QuerySet):
    """Refuse bulk changes and deletions: the rows are a record, written once."""

    def _refuse(self) -> PermissionError:
        return PermissionError(f"{self.model.append_only_name} is append-only")

    def update(self, **kwargs: Any) -> int:
        raise self._refuse()

    def _update(self, values: Any) -> Any:
        raise self._refuse()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise self._refuse()

    def _raw_delete(self, using: Any) -> int:
        raise self._refuse()

    def erase(self, **values: Any) -> int:
        """Blank erasable free text of these rows (retention's anonymisation), inside ``anonymising()`` only.

        ``values`` may name only the model's ``append_only_erasable`` fields: a text field becomes "", a JSON
        field may lose keys or have values made "" (checked against each row). Anything else is refused.
        """
        if not _anonymising.get():
            raise PermissionError(f"{self.model.append_only_name} is append-only: erase only inside anonymising()")
        erasable = set(self.model.append_only_erasable)
        if not values or set(values) - erasable:
            raise PermissionError(f"{self.model.append_only_name}: only {sorted(erasable)} may be erased")
        for name, value in values.items():
            if isinstance(self.model._meta.get_field(name), models.JSONField):
                if any(not _blanked(old, value) for old in self.values_list(name, flat=True)):
                    raise PermissionError(f"{self.model.append_only_name}: {name} may only lose or blank its text")
            elif value != "":
                raise PermissionError(f"{self.model.append_only_name}: {name} may only be erased to \"\"")
        return models.QuerySet.update(self, **values)


class AppendOnlyModel(models.Model):
    """An audit row (a timeline entry, a register's history): saved once, never changed or deleted here.

    Subclasses name what they record in ``append_only_name`` for the refusal's words, and the free-text
    fields retention may blank in ``append_only_erasable``. Their ``Meta`` should set
    ``base_manager_name = "objects"`` so that Django's own lookups use the guarded manager too.
    """

    append_only_name: ClassVar[str] = "this record"
    append_only_erasable: ClassVar[tuple[str, ...]] = ()

    # Also the base manager (``Meta.base_manager_name``): Django's own lookups and cascades are refused alike.
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(f"{self.append_only_name} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.append_only_name} is append-only")
