"""Model pieces more than one app uses."""
from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Refuse bulk changes and deletions: the rows are a record, written once."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model.append_only_name} is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.append_only_name} is append-only")


class AppendOnlyModel(models.Model):
    """An audit row (a timeline entry, a register's history): saved once, never changed or deleted here.

    Subclasses name what they record in ``append_only_name`` for the refusal's words.
    """

    append_only_name: ClassVar[str] = "this record"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(f"{self.append_only_name} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.append_only_name} is append-only")
