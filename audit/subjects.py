"""What an access-log row is about, told by the apps above (audit imports none of them).

An app registers, in its ``AppConfig.ready``, how to describe one of its objects (``describe``) and, for the
URLs whose refusals hide an object, how to find the object behind an id (``register_url``), so that a
refused look at an escalation is filed under the escalation's organisations.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subject:
    kind: str
    id: str = ""
    escalation_id: int | None = None
    organisation_id: int | None = None
    partner_organisation_id: int | None = None


NOTHING = Subject(kind="")

_describers: dict[type, Callable[[Any], Subject]] = {}
_finders: dict[str, tuple[str, str, Callable[[int], Subject | None]]] = {}


def register(model: type, describe: Callable[[Any], Subject]) -> None:
    """How to describe an instance of ``model`` in the access log."""
    _describers[model] = describe


def register_url(view_name: str, *, kind: str, kwarg: str, find: Callable[[int], Subject | None]) -> None:
    """The object behind the URL ``view_name``'s ``kwarg``: a refusal there is about it (or about a missing one)."""
    _finders[view_name] = (kind, kwarg, find)


def describe(obj: Any) -> Subject:
    """The subject of an object: as its app registered it, else its model's name, id and organisation."""
    if isinstance(obj, Subject):
        return obj
    describer = _describers.get(type(obj))
    if describer is not None:
        return describer(obj)
    return Subject(kind=obj._meta.model_name, id=str(obj.pk), organisation_id=getattr(obj, "organisation_id", None))


def from_url(view_name: str, kwargs: dict[str, Any]) -> Subject | None:
    """The subject a URL is about, or None if it is about no registered object."""
    entry = _finders.get(view_name)
    if entry is None:
        return None
    kind, kwarg, find = entry
    value = kwargs.get(kwarg)
    if not isinstance(value, int):
        return None
    return find(value) or Subject(kind=kind, id=str(value))
