"""The retention period: a closed escalation older than it keeps its timeline and loses everything typed.

Each organisation sets how long a closed (resolved or withdrawn) escalation is kept in full
(``Organisation.retention_days``, set on the administration pages). An escalation is kept as long as the
longest period of the organisations that hold it: the raising one, the receiving one and the case's
owner. Then ``escalation_anonymise`` erases, in one transaction:

- the escalation's free text: ``decision_challenged``, ``concern``, ``desired_outcome``, ``rationale``,
  and the written confirmation ``agreed_outcome`` and ``outstanding_actions``;
- the timeline's text (``timeline_text_erase``): each entry's ``note`` and the free-text keys of its
  ``params``; the rows themselves stay (when, who, which action, the states, the stage);
- the board logs' reasons and the debriefs' notes;
- the attachments' files (deleted from the storage) and their names and descriptions; the row keeps the
  kind of file, its size, who uploaded it and when;
- the messages of the notifications about it;
- the text of the webhook events about it kept in the outbox (``outbox_text_erase``): each event's note,
  the free-text keys of its details and the child's display name (the events were sent long ago; a replay
  after this sends what is left).

A case whose escalations are all anonymised, or that never had one and is older than its
organisation's period, loses its reference (it becomes ``erased-<id>``) and display name
(``case_anonymise``), in the outbox's events too. The rows that say who took part (participants, panel
seats) stay: they are about the professionals, and the timeline names them anyway.

Every function here is idempotent: a second run finds nothing to do and changes nothing. The audit row
of each erasure is written by the caller, ``administration.retention``, in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from cases.models import Case
from core.models import anonymising
from notifications.models import Notification
from organisations.models import Organisation
from webhooks.models import OutboxEvent

from .attachments import attachments_storage
from .models import Attachment, BoardLog, Debrief, Escalation, TimelineEntry
from .states import State

# A closed escalation: the states the retention period counts from (closed_at is set on entering them).
CLOSED_STATES = (State.RESOLVED, State.WITHDRAWN)
# The escalation's columns that hold what people typed.
FREE_TEXT_FIELDS = ("decision_challenged", "concern", "desired_outcome", "rationale", "agreed_outcome",
                    "outstanding_actions")
# The keys of a timeline entry's params that copy what people typed (``events.accepted``: the outstanding
# actions; ``events.attachment_added``: the file's name). The others are codes, ids, usernames and times.
TIMELINE_FREE_TEXT_PARAMS = ("outstanding_actions", "name")
# What a notification about an anonymised escalation says instead of its message.
ERASED_MESSAGE = "The details of this escalation were erased at the end of its retention period."
ERASED_DIGEST = "This digest's list was erased at the end of the retention period."
# Escalations anonymised a transaction: each deletes its files and rewrites a few dozen rows; a bounded
# batch keeps a transaction short and lets a second run (or a restarted worker) carry on where one stopped.
BATCH_SIZE = 100


@dataclass(frozen=True)
class Erased:
    """What one anonymisation erased: counts only, never the text (the audit row records these)."""

    escalation_id: int
    closed_at: dt.datetime
    retention_days: int
    organisation_ids: tuple[int, ...]
    timeline_entries: int
    board_logs: int
    debriefs: int
    attachments: int
    notifications: int
    case_id: int
    case_organisation_id: int
    case_anonymised: bool
    webhook_events: int = 0

    def as_params(self) -> dict[str, object]:
        return {
            "escalation": self.escalation_id, "closed_at": self.closed_at.isoformat(),
            "retention_days": self.retention_days, "timeline_entries": self.timeline_entries,
            "board_logs": self.board_logs, "debriefs": self.debriefs, "attachments": self.attachments,
            "notifications": self.notifications, "case": self.case_id, "case_anonymised": self.case_anonymised,
            "webhook_events": self.webhook_events,
        }


# --- which ---------------------------------------------------------------------------------------------
def _kept_for_days() -> Greatest:
    """The retention period that applies to an escalation, in SQL: the longest of its organisations'."""
    return Greatest(
        F("raising_organisation__retention_days"),
        Coalesce(F("receiving_organisation__retention_days"), Value(0)),
        F("case__organisation__retention_days"),
        output_field=models.PositiveIntegerField(),
    )


def escalations_due_for_anonymisation(*, now: dt.datetime) -> list[int]:
    """Return the ids of the closed escalations kept longer than their retention period, not yet anonymised.

    One query per distinct period in use (a handful): the period is compared in days, in SQL, on every
    database, without date arithmetic.
    """
    periods = sorted(set(Organisation.objects.values_list("retention_days", flat=True)))
    closed = Escalation.objects.filter(state__in=CLOSED_STATES, closed_at__isnull=False, anonymised_at__isnull=True)
    due: list[int] = []
    for days in periods:
        due.extend(
            closed.annotate(kept_for=_kept_for_days())
            .filter(kept_for=days, closed_at__lt=now - dt.timedelta(days=days))
            .order_by("closed_at", "pk")
            .values_list("pk", flat=True)
        )
    return due


def cases_due_for_anonymisation(*, now: dt.datetime) -> list[int]:
    """Return the ids of cases not yet anonymised with no escalation left in full: every escalation on them is
    anonymised, or they never had one and were created longer ago than their organisation's period."""
    fully_kept = Escalation.objects.filter(case_id=models.OuterRef("pk"), anonymised_at__isnull=True)
    any_escalation = Escalation.objects.filter(case_id=models.OuterRef("pk"))
    due: list[int] = []
    for days in sorted(set(Organisation.objects.values_list("retention_days", flat=True))):
        due.extend(
            Case.objects.filter(anonymised_at__isnull=True, organisation__retention_days=days)
            .filter(~models.Exists(fully_kept))
            .filter(models.Exists(any_escalation) | Q(created_at__lt=now - dt.timedelta(days=days)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return due


# --- the timeline: the one write to its rows after they are written ----------------------------------------
def timeline_text_erase(*, escalation_id: int) -> int:
    """Blank the text of an escalation's timeline; return how many entries changed.

    THE ONE CHANGE EVER MADE TO WRITTEN TIMELINE ROWS. The timeline is append-only (``AppendOnlyModel``
    refuses ``save``, ``update`` and ``delete``); the retention period is the single exception, and it
    changes exactly two columns of ``escalations_timelineentry``: ``note`` (set to "") and ``params``
    (the keys of ``TIMELINE_FREE_TEXT_PARAMS`` removed). ``at``, ``actor``, ``action``, ``from_state``,
    ``to_state`` and ``stage_index`` are never touched. It goes through the append-only guard's one door,
    ``erase()`` inside ``core.models.anonymising()``, which on PostgreSQL the table's trigger checks too.
    """
    rows = TimelineEntry.objects.filter(escalation_id=escalation_id)
    changed = 0
    with transaction.atomic(), anonymising():
        for pk, note, params in rows.values_list("pk", "note", "params"):
            params = params if isinstance(params, dict) else {}
            kept = {key: value for key, value in params.items() if key not in TIMELINE_FREE_TEXT_PARAMS}
            if note == "" and kept == params:
                continue
            rows.filter(pk=pk).erase(note="", params=kept)
            changed += 1
    return changed


# --- the outbox: the copies of the timeline sent to case-management systems ----------------------------------
def _payload_erased(payload: object, *, case_reference: str | None) -> object:
    """The payload without what people typed and without the child's name (and reference, once the case's is)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return payload
    data = dict(payload["data"])
    data["note"] = ""
    if isinstance(data.get("details"), dict):
        data["details"] = {key: value for key, value in data["details"].items()
                           if key not in TIMELINE_FREE_TEXT_PARAMS}
    if isinstance(data.get("case"), dict):
        case = {key: value for key, value in data["case"].items() if key != "display_name"}
        if case_reference is not None:
            case["reference"] = case_reference
        data["case"] = case
    return {**payload, "data": data}


def outbox_text_erase(*, escalation_ids: Sequence[int], case_reference: str | None = None) -> int:
    """Erase the text of the webhook events about these escalations kept in the outbox; return how many changed.

    Each event's note, the free-text keys of its details (as on the timeline) and the child's display name go;
    with ``case_reference``, the case's reference is replaced by it (the case has been anonymised). Two
    statements for the lot: one read, one UPDATE.
    """
    if not escalation_ids:
        return 0
    changed = []
    for event in OutboxEvent.objects.filter(escalation_id__in=escalation_ids).only("pk", "payload").order_by("pk"):
        payload = _payload_erased(event.payload, case_reference=case_reference)
        if payload != event.payload:
            event.payload = payload
            changed.append(event)
    if changed:
        OutboxEvent.objects.bulk_update(changed, ["payload"])
    return len(changed)


# --- the erasures --------------------------------------------------------------------------------------------
def _retention_of(escalation: Escalation) -> tuple[int, tuple[int, ...]]:
    organisations = [escalation.raising_organisation, escalation.case.organisation]
    if escalation.receiving_organisation is not None:
        organisations.append(escalation.receiving_organisation)
    ids = tuple(sorted({organisation.pk for organisation in organisations}))
    return max(organisation.retention_days for organisation in organisations), ids


def escalation_anonymise(*, escalation_id: int, now: dt.datetime | None = None) -> Erased | None:
    """Erase one closed escalation's free text and attachments, keeping its timeline's rows.

    Runs inside the caller's transaction (``administration.retention`` writes the audit row beside it).
    Returns None, changing nothing, where there is nothing to do: already anonymised, live again, or not
    yet past its retention period (each re-checked under the row's lock). The files are deleted before the
    rows change: should the transaction roll back, the escalation is still due and the next run finishes it.
    """
    now = now or timezone.now()
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("raising_organisation", "receiving_organisation", "case__organisation")
        .filter(pk=escalation_id).first()
    )
    if escalation is None or escalation.anonymised_at is not None or escalation.state not in CLOSED_STATES:
        return None
    days, organisation_ids = _retention_of(escalation)
    if escalation.closed_at is None or escalation.closed_at >= now - dt.timedelta(days=days):
        return None

    storage = attachments_storage()
    attachments = list(Attachment.objects.filter(escalation_id=escalation_id).exclude(file=""))
    for attachment in attachments:
        storage.delete(attachment.file.name)
    Attachment.objects.filter(escalation_id=escalation_id).update(file="", original_name="", description="")

    Escalation.objects.filter(pk=escalation_id).update(
        **{field: "" for field in FREE_TEXT_FIELDS}, anonymised_at=now, version=F("version") + 1,
    )
    timeline = timeline_text_erase(escalation_id=escalation_id)
    board_logs = BoardLog.objects.filter(escalation_id=escalation_id).exclude(reason="").update(reason="")
    debriefs = Debrief.objects.filter(escalation_id=escalation_id).exclude(note="").update(note="")
    notifications = (
        Notification.objects.filter(escalation_id=escalation_id)
        .filter(~Q(message=ERASED_MESSAGE) | ~Q(params={}))
        .update(message=ERASED_MESSAGE, params={})
    )
    webhook_events = outbox_text_erase(escalation_ids=[escalation_id])
    case_done = case_anonymise(case_id=escalation.case_id, now=now)
    return Erased(
        escalation_id=escalation_id, closed_at=escalation.closed_at, retention_days=days,
        organisation_ids=organisation_ids, timeline_entries=timeline, board_logs=board_logs, debriefs=debriefs,
        attachments=len(attachments), notifications=notifications, case_id=escalation.case_id,
        case_organisation_id=escalation.case.organisation_id,
        case_anonymised=case_done, webhook_events=webhook_events,
    )


def case_anonymise(*, case_id: int, now: dt.datetime | None = None) -> bool:
    """Erase a case's reference and display name once no escalation on it is kept in full; say whether it did.

    A case that never had an escalation is erased once it is older than its organisation's period. The
    reference becomes ``erased-<id>``: unique, and a new escalation about the same child makes a new case.
    """
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("organisation").filter(pk=case_id).first()
    if case is None or case.anonymised_at is not None:
        return False
    escalations = Escalation.objects.filter(case_id=case_id)
    if escalations.filter(anonymised_at__isnull=True).exists():
        return False
    if not escalations.exists() and case.created_at >= now - dt.timedelta(days=case.organisation.retention_days):
        return False
    Case.objects.filter(pk=case_id).update(reference=f"erased-{case_id}", display_name="", anonymised_at=now)
    outbox_text_erase(escalation_ids=list(escalations.values_list("pk", flat=True)),
                      case_reference=f"erased-{case_id}")
    return True


def _digests_past(now: dt.datetime, *, days: int) -> models.QuerySet[Notification]:
    """Digests not yet erased, older than ``days``, to people of organisations keeping ``days``."""
    return (
        Notification.objects.filter(
            escalation__isnull=True, recipient__organisation__retention_days=days,
            created_at__lt=now - dt.timedelta(days=days),
        )
        .filter(~Q(message=ERASED_DIGEST) | ~Q(params={}))
    )


def organisations_with_digests_due(*, now: dt.datetime) -> list[int]:
    """Return the ids of the organisations whose people hold digests older than the organisation's period."""
    due: set[int] = set()
    for days in sorted(set(Organisation.objects.values_list("retention_days", flat=True))):
        due.update(_digests_past(now, days=days).values_list("recipient__organisation_id", flat=True).distinct())
    return sorted(due)


def digests_erase(*, organisation: Organisation, now: dt.datetime) -> int:
    """Erase the lists of overdue escalations in the organisation's people's digests older than its period.

    A digest (a notification about no one escalation) names the cases that were overdue that day; past the
    retention period it keeps its kind and date and loses its message and list. Returns how many changed.
    """
    return (
        _digests_past(now, days=organisation.retention_days)
        .filter(recipient__organisation=organisation)
        .update(message=ERASED_DIGEST, params={})
    )


def in_batches(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """Split ids into lists of at most ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])

