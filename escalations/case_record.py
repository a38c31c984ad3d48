"""Everything held about a case's escalations, read in a fixed number of queries and said item by item.

The one builder the subject-access export (``subject_access``: everything, for the PSW) and the chronology
(``chronology``: what the reader may see, in time order) share. ``escalations_held`` loads the escalations of a
queryset with every relation the documents read, each prefetched once; the ``*_item`` functions say one row
of a relation, with the moments written by the ``when`` the document chooses (London time with its offset for
the subject-access export, UTC for the chronology).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from organisations.models import User

from .models import Attachment, BoardLog, Debrief, Escalation, PanelMember, Participant, TimelineEntry

When = Callable[[dt.datetime | None], str | None]


def local_iso(instant: dt.datetime | None) -> str | None:
    """ISO 8601 in London time with its offset: "2026-11-03T10:00:00+00:00"."""
    return timezone.localtime(instant).isoformat() if instant is not None else None


def utc_iso(instant: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC, to the millisecond: "2026-11-03T10:00:00.000Z"."""
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def escalations_held(queryset: QuerySet[Escalation], *, systemic_issues: bool = False) -> list[Escalation]:
    """The escalations of ``queryset``, oldest first, with their people, organisations, ladder (stages and
    categories), participants, timeline, board logs, panel, debriefs and attachments (and, for the PSW, the
    systemic issues they are linked to): one query a relation, however many escalations and entries."""
    related: list[Any] = [
        Prefetch("participants", Participant.objects.select_related("user__organisation").order_by("pk")),
        Prefetch("timeline", TimelineEntry.objects.select_related("actor__organisation").order_by("at", "pk")),
        Prefetch("board_logs", BoardLog.objects.select_related("by__organisation")),
        Prefetch("panel_members", PanelMember.objects.select_related("user__organisation")),
        Prefetch("debriefs", Debrief.objects.select_related("by__organisation")),
        Prefetch("attachments", Attachment.objects.select_related("uploaded_by__organisation").order_by("pk")),
        "ladder__stages", "ladder__categories",
    ]
    if systemic_issues:
        related.append("systemic_issues")  # the PSW's register (oversight): the relation is read, not imported
    return list(
        queryset.order_by("raised_at", "pk")
        .select_related("case", "ladder", "raising_organisation", "receiving_organisation",
                        "raised_by__organisation", "holder__organisation", "mediator__organisation")
        .prefetch_related(*related)
    )


def person(user: User | None) -> dict[str, Any] | None:
    """A person as the documents name them: username, name, role and organisation (by slug)."""
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name(), "role": user.role,
            "organisation": user.organisation.slug if user.organisation_id and user.organisation else None}


def timeline_item(entry: TimelineEntry, *, when: When, text: Callable[[str], str] = str) -> dict[str, Any]:
    return {"at": when(entry.at), "actor": person(entry.actor) or "system", "action": entry.action,
            "from_state": entry.from_state, "to_state": entry.to_state, "stage_index": entry.stage_index,
            "note": text(entry.note), "params": entry.params}


def board_log_item(log: BoardLog, *, when: When, text: Callable[[str], str] = str) -> dict[str, Any]:
    return {"kind": log.kind, "at": when(log.at), "by": person(log.by), "reason": text(log.reason)}


def panel_item(seat: PanelMember, *, when: When) -> dict[str, Any]:
    return {"person": person(seat.user), "added_at": when(seat.added_at)}


def debrief_item(debrief: Debrief, *, when: When, text: Callable[[str], str] = str) -> dict[str, Any]:
    return {"by": person(debrief.by), "at": when(debrief.at), "note": text(debrief.note)}


def attachment_item(item: Attachment, *, when: When, text: Callable[[str], str] = str) -> dict[str, Any]:
    """An attachment's metadata (its content is downloaded from the escalation's page, by whoever may see it)."""
    return {"id": item.pk, "name": text(item.original_name), "content_type": item.content_type, "size": item.size,
            "description": text(item.description), "uploaded_by": person(item.uploaded_by),
            "uploaded_at": when(item.uploaded_at), "file_kept": bool(item.file.name)}
