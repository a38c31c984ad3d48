"""A case's chronology: everything held about its escalations that the reader may see, in time order.

Stoke 3 ("All information around the dispute process should be recorded on the child's file") and BS3 ("All
records should be retained on the child's chronology"): the document a practitioner files on the child's record
in the case-management system. Anyone who may see the case (``cases.case_list_visible``: staff of its
organisation, and whoever sees one of its escalations) may download it; it holds only the escalations they may
see (``Escalation.objects.visible_to``). The child's display name is in it only for staff of the case's owning
organisation (CONTRACT 8.6); for anyone else it is empty, and withheld wherever someone typed it into the text.

Each escalation comes with its summary (ladder, category, risk, raiser, holders, state, deadlines, outcome and
how outstanding issues will be pursued), its timeline, notes, meetings, board logs, panel, debriefs and the
attachments' metadata (never their content); ``chronology`` then lists every timeline entry of them all, oldest
first. Moments are in UTC (ISO 8601) with their words in London time ("Tuesday 3 November 2026 at 10am").

Built by the same loader as the subject-access export (``case_record``), in a fixed number of queries.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from audit.services import Action, Outcome, Subject, access_record, access_record_many
from cases.models import Case
from core import text as words
from notifications.texts import redact
from organisations.models import Organisation, User
from policies.models import RiskLevel

from .actions import logged_as
from .case_record import (
    attachment_item,
    board_log_item,
    debrief_item,
    escalations_held,
    panel_item,
    person,
    timeline_item,
    utc_iso,
)
from .cases import case_list_visible, reads_cases
from .events import ACTION_LABELS
from .events import Action as Entry
from .models import Escalation, Participant, TimelineEntry
from .states import Decision, State

logger = logging.getLogger(__name__)

FORMAT = "escalation-tracker chronology"
FORMAT_VERSION = 1  # bumped when a field changes meaning; a field added keeps it


# --- which case ----------------------------------------------------------------------------------------------
def chronology_case_of_escalation(*, user: User, pk: int) -> Case | None:
    """The case of an escalation this person may see, where they may see cases (``reads_cases``: the QA&P chair
    reads escalations logged with the board, not cases); None otherwise, or where there is none."""
    if not reads_cases(user):
        return None
    escalation = (Escalation.objects.visible_to(user).filter(pk=pk)
                  .select_related("case__organisation").first())
    return escalation.case if escalation is not None else None


def chronology_cases(*, user: User, reference: str, organisation: str = "") -> list[Case]:
    """The cases this person may see with this reference (of the organisation with slug ``organisation``, where
    given): references are unique within an organisation, so two organisations may each hold one."""
    cases = case_list_visible(user=user).filter(reference=(reference or "").strip())
    if organisation:
        cases = cases.filter(organisation__slug=organisation)
    return list(cases.order_by("organisation__slug", "pk"))


def chronology_refused(*, request: HttpRequest, reference: str, organisation: str = "") -> None:
    """Record a refused look at cases that exist but that the person may not see (a 404 like a missing one).

    Filed under each such case's organisation, by the case's id: the access log never holds a reference.
    """
    hidden = Case.objects.filter(reference=(reference or "").strip())
    if organisation:
        hidden = hidden.filter(organisation__slug=organisation)
    for case in hidden.only("pk", "organisation_id"):
        access_record(action=Action.REFUSED, obj=Subject(kind="case", id=str(case.pk),
                                                         organisation_id=case.organisation_id),
                      request=request, outcome=Outcome.NOT_FOUND, status=404, detail={"via": "chronology_api"})


# --- the document --------------------------------------------------------------------------------------------
def _moment(instant: dt.datetime | None) -> str:
    return words.when_dated(instant) if instant is not None else ""


def _timed(key: str, instant: dt.datetime | None) -> dict[str, Any]:
    """A moment as two fields: ``key`` in UTC (ISO 8601) and ``key_words`` in London time, in words."""
    return {key: utc_iso(instant), f"{key}_words": _moment(instant)}


def _stage(esc: Escalation, index: int) -> dict[str, Any]:
    ladder = esc.ladder
    return {"index": index, "name": ladder.stage(index).name if ladder.has_stage(index) else f"Stage {index}"}


def _state(value: str) -> dict[str, str] | None:
    if not value:
        return None
    return {"value": value, "label": State(value).label if value in State.values else value}


def _entry(esc: Escalation, entry: TimelineEntry, text: Callable[[str], str]) -> dict[str, Any]:
    """One timeline entry: when (UTC and in words), who, what and its words, the note, the stage, the states."""
    item = timeline_item(entry, when=utc_iso, text=text)
    params = dict(item.pop("params") or {})
    if isinstance(params.get("outstanding_actions"), str):
        params["outstanding_actions"] = text(params["outstanding_actions"])
    return {
        "escalation": esc.pk,
        **item,
        "at_words": _moment(entry.at),
        "action_label": logged_as(entry.action) or ACTION_LABELS.get(entry.action, entry.action),
        "stage": _stage(esc, entry.stage_index),
        "from_state": _state(entry.from_state),
        "to_state": _state(entry.to_state),
        "params": params,
    }


def _holders(esc: Escalation, participants: list[Participant]) -> list[dict[str, Any] | None]:
    """Everyone who has held a stage, the present holder first (from the prefetched participants)."""
    people = [esc.holder] if esc.holder is not None else []
    people += [p.user for p in participants if p.reason == "holder" and p.user_id != esc.holder_id]
    return [person(user) for user in people]


def _meetings(esc: Escalation, entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    """The meetings arranged, and the resolution panel's, each with when it was arranged and by whom."""
    meetings = []
    for entry in entries:
        at = (entry.params or {}).get("meeting_at")
        if entry.action not in (Entry.ARRANGE_MEETING, Entry.MOVE_MEETING, Entry.CONVENE_PANEL) or not at:
            continue
        try:
            when = dt.datetime.fromisoformat(at)
        except (TypeError, ValueError):
            continue
        meetings.append({
            "kind": "resolution_panel" if entry.action == Entry.CONVENE_PANEL else "meeting",
            **_timed("meeting_at", when), **_timed("arranged_at", entry.at),
            "arranged_by": person(entry.actor), "stage": _stage(esc, entry.stage_index),
        })
    return meetings


def _organisation(organisation: Organisation | None) -> dict[str, str] | None:
    return {"slug": organisation.slug, "name": organisation.name} if organisation is not None else None


def _escalation(esc: Escalation, text: Callable[[str], str]) -> dict[str, Any]:
    entries = list(esc.timeline.all())
    participants = list(esc.participants.all())
    stage = esc.stage
    return {
        "number": esc.pk,
        "ladder": {"slug": esc.ladder.slug, "name": esc.ladder.name, "version": esc.ladder.version},
        "raising_organisation": _organisation(esc.raising_organisation),
        "receiving_organisation": _organisation(esc.receiving_organisation),
        "category": {"slug": esc.category, "label": esc.category_label},
        "risk_level": {"value": esc.risk_level, "label": RiskLevel(esc.risk_level).label},
        "basis": esc.basis,
        "decision_challenged": text(esc.decision_challenged),
        "concern": text(esc.concern),
        "desired_outcome": text(esc.desired_outcome),
        "raised_by": person(esc.raised_by),
        **_timed("raised_at", esc.raised_at),
        "stage": {"index": stage.index, "name": stage.name, "final": stage.final},
        "holder": person(esc.holder),
        "holders": _holders(esc, participants),
        "mediator": person(esc.mediator),
        "state": _state(esc.state),
        **_timed("stage_started_at", esc.stage_started_at),
        **_timed("stage_deadline", esc.stage_deadline),
        **_timed("overall_deadline", esc.overall_deadline),
        **_timed("meeting_at", esc.meeting_at),
        "decision": ({"value": esc.decision, "label": Decision(esc.decision).label}
                     if esc.decision in Decision.values else None),
        "rationale": text(esc.rationale),
        "outcome": {
            "agreed_outcome": text(esc.agreed_outcome),
            "outstanding_issues_pursued_by": text(esc.outstanding_actions),
            **_timed("resolved_at", esc.resolved_at),
            **_timed("closed_at", esc.closed_at),
        },
        **_timed("board_logged_at", esc.board_logged_at),
        **_timed("anonymised_at", esc.anonymised_at),
        "timeline": [_entry(esc, entry, text) for entry in entries],
        "notes": [{**_timed("at", entry.at), "by": person(entry.actor), "note": text(entry.note),
                   "stage": _stage(esc, entry.stage_index)}
                  for entry in entries if entry.action == Entry.NOTE],
        "meetings": _meetings(esc, entries),
        "board_logs": [{**board_log_item(log, when=utc_iso, text=text), "at_words": _moment(log.at)}
                       for log in esc.board_logs.all()],
        "panel": [{**panel_item(seat, when=utc_iso), "added_at_words": _moment(seat.added_at)}
                  for seat in esc.panel_members.all()],
        "debriefs": [{**debrief_item(debrief, when=utc_iso, text=text), "at_words": _moment(debrief.at)}
                     for debrief in esc.debriefs.all()],
        "attachments": [{**attachment_item(item, when=utc_iso, text=text),
                         "uploaded_at_words": _moment(item.uploaded_at)} for item in esc.attachments.all()],
    }


def chronology_escalations(*, case: Case, user: User) -> list[Escalation]:
    """The escalations of the case this person may see, oldest first, with everything the document reads."""
    return escalations_held(Escalation.objects.visible_to(user).filter(case=case))


def chronology_document(*, case: Case, user: User, escalations: list[Escalation] | None = None,
                        now: dt.datetime | None = None) -> dict[str, Any]:
    """The chronology of the case as this person may read it (the caller found the case among those they see).

    A fixed number of queries, whatever the number of escalations and entries: each relation is read once.
    """
    now = now or timezone.now()
    held = chronology_escalations(case=case, user=user) if escalations is None else escalations
    readable = case.name_readable_by(user)
    name = case.display_name

    def text(value: str) -> str:
        """Free text as this reader may read it: the child's name withheld from anyone outside the organisation."""
        return value if readable else redact(value or "", display_name=name)

    documents = [_escalation(esc, text) for esc in held]
    # Every entry of every escalation, oldest first (by the moment itself, then the escalation, then the order
    # written): the prefetched rows again, no query.
    order = sorted((entry.at, esc.pk, position) for esc in held for position, entry in enumerate(esc.timeline.all()))
    by_escalation = {document["number"]: document["timeline"] for document in documents}
    merged = [by_escalation[number][position] for _, number, position in order]
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        **_timed("generated_at", now),
        "generated_for": person(user),
        "case": {
            "reference": case.reference,
            "display_name": name if readable else "",
            "organisation": _organisation(case.organisation),
        },
        "escalations": documents,
        "chronology": merged,
    }


def chronology_recorded(*, case: Case, escalations: list[Escalation], request: HttpRequest, via: str) -> None:
    """Record the download in the access log: one ``exported`` row for each escalation it holds (so that each
    organisation's PSW sees it in her log), or one about the case where it holds none. Ids, never a reference."""
    detail = {"via": f"chronology_{via}", "case_id": case.pk}
    if escalations:
        access_record_many(action=Action.EXPORTED, objs=escalations, request=request, detail=detail)
    else:
        access_record(action=Action.EXPORTED, obj=Subject(kind="case", id=str(case.pk),
                                                          organisation_id=case.organisation_id),
                      request=request, detail=detail)
    logger.info("chronology export", extra={
        "event": "chronology_export", "case_id": case.pk, "via": via, "escalations": len(escalations),
        "user_id": getattr(request.user, "pk", None),
    })
