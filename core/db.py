"""The database router: the reports read from the replica (settings ``REPORTS_DATABASE``), all else the primary.

``replica_reads()`` marks a block of code whose reads may be a few seconds behind (the board's and
the PSW's aggregates); inside it every read goes to ``settings.REPORTS_DATABASE``, which is the
``replica`` alias when ``DATABASE_REPLICA_URL`` is set and ``default`` otherwise. Writes always go to
the primary, and migrations run there only: a streaming replica copies the primary's schema.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads made inside the block to the reports' database (the replica when there is one)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def reads_from_replica(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a selector whose reads may come from the replica (evaluated inside the call)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Route reads marked by ``replica_reads`` to ``settings.REPORTS_DATABASE``; everything else to default."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _reading_from_replica.get():
            return settings.REPORTS_DATABASE
        return None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary: a row read from one may relate to the other's.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db == "default"
