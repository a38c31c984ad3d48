"""What an escalation's timeline sends to case-management systems: one webhook event per entry and organisation.

``events.timeline_add`` and ``events.timeline_add_many`` call ``timeline_published`` with the entries they
have just saved, in the same transaction; it builds each event's payload here (``webhooks`` knows nothing of
escalations) and hands plain data to ``webhooks.outbox.outbox_write``.

- **Whose.** An escalation belongs to the raiser's organisation and, on a multi-agency ladder, to the receiving
  organisation too: each gets its own event (its own id) for its own endpoints.
- **Cost.** Which organisations have an endpoint is one cached set, read once per call: a change about an
  organisation without one writes nothing and costs no statement; the deadline clock's batch of hundreds of
  entries costs the same few statements as one (the relations the payload reads are loaded once per batch where
  the caller has not loaded them).
- **The child.** The case reference always goes; the child's display name only in the events of the
  organisation that owns the case (CONTRACT 8.6: a partner agency never reads it), and of those only to
  endpoints with ``include_display_name`` (``webhooks.payloads``). Anywhere else the name is withheld from the
  note and the details, as in notifications.
- **The note.** Every entry's note goes, the clock's included: the procedures ask for everything about the
  dispute to be on the child's file (Stoke 3, BS3), and the note is what was decided and why. ``details`` is the
  entry's parameters (codes, usernames, times). Both are erased with the timeline's text at the end of the
  retention period (``retention.outbox_text_erase``).

The schema (JSON Schema) and the list of types are in docs/webhooks.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from django.db.models import ForeignKey, Model
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from notifications.texts import redact
from organisations.models import Organisation, User
from policies.models import Ladder
from webhooks.outbox import Draft, organisations_with_endpoints, outbox_write

from .models import Escalation, TimelineEntry

TYPE_PREFIX = "escalation."


def event_type(action: str) -> str:
    """The event's type from the timeline's action: ``raise`` → ``escalation.raise``."""
    return f"{TYPE_PREFIX}{action}"


def organisations_of(escalation: Escalation) -> list[int]:
    """The organisations whose escalation it is: the raiser's, and the receiving one where there is one."""
    ids = [escalation.raising_organisation_id]
    if escalation.receiving_organisation_id and escalation.receiving_organisation_id not in ids:
        ids.append(escalation.receiving_organisation_id)
    return ids


# The relations a payload reads, loaded in bulk for those escalations whose caller has not loaded them.
_RELATIONS: tuple[tuple[str, Any], ...] = (
    ("case", Case.objects.all()),
    ("ladder", Ladder.objects.prefetch_related("stages")),
    ("raising_organisation", Organisation.objects.all()),
    ("receiving_organisation", Organisation.objects.all()),
    ("holder", User.objects.all()),
)


def _relations_load(escalations: Sequence[Escalation]) -> None:
    for name, queryset in _RELATIONS:
        field = cast(ForeignKey, Escalation._meta.get_field(name))
        attname = field.attname
        missing = {getattr(esc, attname) for esc in escalations
                   if getattr(esc, attname) is not None and not field.is_cached(esc)}
        if not missing:
            continue
        loaded: dict[int, Model] = queryset.in_bulk(missing)
        for esc in escalations:
            if not field.is_cached(esc) and getattr(esc, attname) in loaded:
                setattr(esc, name, loaded[getattr(esc, attname)])


def _person(user: User | None) -> dict[str, str] | None:
    return {"username": user.username, "name": user.display_name} if user is not None else None


def _stage_name(ladder: Ladder, index: int) -> str:
    return next((stage.name for stage in ladder.stage_list() if stage.index == index), "")


def _withheld(value: Any, name: str) -> Any:
    return redact(value, display_name=name) if isinstance(value, str) and name else value


def payload_build(entry: TimelineEntry, *, organisation: Organisation) -> dict[str, Any]:
    """The payload of one entry for one organisation's endpoints (``version`` and ``id`` are added by the outbox)."""
    esc = entry.escalation
    case = esc.case
    owner = case.organisation_id == organisation.pk
    name = case.display_name
    case_data: dict[str, Any] = {"reference": case.reference}
    note: str = entry.note
    details: dict[str, Any] = dict(entry.params) if isinstance(entry.params, dict) else {}
    if owner and name:
        case_data["display_name"] = name  # taken out again for endpoints that do not allow it
    elif name:
        note = _withheld(note, name)
        details = {key: _withheld(value, name) for key, value in details.items()}
    receiving = esc.receiving_organisation
    return {
        "type": event_type(entry.action),
        "timestamp": timezone.localtime(entry.at).isoformat(),
        "organisation": organisation.slug,
        "data": {
            "escalation": {
                "id": esc.pk,
                "url": settings.SITE_URL.rstrip("/") + reverse("escalations:detail", args=[esc.pk]),
                "ladder": esc.ladder.slug,
                "ladder_version": esc.ladder.version,
                "raising_organisation": esc.raising_organisation.slug,
                "receiving_organisation": receiving.slug if receiving is not None else None,
                "risk_level": esc.risk_level,
                "category": esc.category,
            },
            "action": entry.action,
            "stage": {"index": entry.stage_index, "name": _stage_name(esc.ladder, entry.stage_index),
                      "holder": _person(esc.holder)},
            "actor": _person(entry.actor),
            "state": {"before": entry.from_state or None, "after": entry.to_state},
            "case": case_data,
            "note": note,
            "details": details,
        },
    }


def timeline_published(entries: Sequence[TimelineEntry]) -> list[str]:
    """Write the webhook events of entries just saved, in the caller's transaction; return the new event ids."""
    if not entries:
        return []
    wanted = organisations_with_endpoints({org for entry in entries for org in organisations_of(entry.escalation)})
    if not wanted:
        return []
    chosen = [(entry, org) for entry in entries for org in organisations_of(entry.escalation) if org in wanted]
    escalations = list({id(entry.escalation): entry.escalation for entry, _ in chosen}.values())
    _relations_load(escalations)
    drafts = []
    for entry, org in chosen:
        esc = entry.escalation
        organisation = (esc.raising_organisation if org == esc.raising_organisation_id
                        else esc.receiving_organisation)
        assert organisation is not None
        drafts.append(Draft(organisation_id=org, escalation_id=esc.pk, type=event_type(entry.action),
                            payload=payload_build(entry, organisation=organisation), created_at=entry.at))
    return outbox_write(drafts)
