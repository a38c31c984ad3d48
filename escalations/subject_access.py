"""A subject-access export: everything the tracker holds about one child's case, as one JSON document.

Under UK GDPR article 15 the child (or whoever acts for them) may ask what is held. The organisation that
owns the case answers, and within it the principal social worker, who already sees and acts on every
escalation of the organisation (CONTRACT section 1) and is the only one of its staff who sees all of them:
``may_export``. Nobody else may: not another of its staff (they see only their part), not a partner
agency (never the child's name, CONTRACT 8.6), not the board, not an administrator, not a platform account.

The document holds the case; each escalation on it with every field; its participants, timeline, board
logs, panel, debriefs, attachments (their metadata: the files are downloaded from the escalation's page)
and the systemic issues it is linked to; every notification about it, the PSWs' digests that list it
included; and every webhook event about it sent to a case-management system (what was sent, to which
of the organisation's endpoints, and whether it arrived). An anonymised escalation is exported as it now
is, with the date of its anonymisation.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from audit.services import Action, access_record_many
from cases.models import Case
from notifications.models import Kind, Notification
from organisations.models import Role, User
from webhooks.models import Delivery, OutboxEvent

from .case_record import (
    attachment_item,
    board_log_item,
    debrief_item,
    escalations_held,
    local_iso,
    panel_item,
    person,
    timeline_item,
)
from .models import Escalation

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bumped when a field changes meaning; a field added keeps it


def may_export(user: Any, case: Case) -> bool:
    """Say whether this person may export everything held about the case: its organisation's active PSW."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and not user.is_platform_staff
        and user.role == Role.PSW
        and user.organisation_id is not None
        and user.organisation_id == case.organisation_id
    )


def may_export_any(user: Any) -> bool:
    """Say whether this person answers subject-access requests at all (an active PSW of an organisation)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and not user.is_platform_staff
                and user.role == Role.PSW and user.organisation_id is not None)


def case_for_export(*, user: User, reference: str) -> Case | None:
    """The case of the PSW's own organisation with this reference; None for any other (or none)."""
    if not may_export_any(user):
        return None
    return Case.objects.select_related("organisation", "allocated_worker").filter(
        organisation_id=user.organisation_id, reference=(reference or "").strip()
    ).first()


_when = local_iso
_who = person


def _webhook_event(event: OutboxEvent) -> dict[str, Any]:
    return {
        "id": event.event_id, "type": event.type, "organisation": event.organisation.slug,
        "created_at": _when(event.created_at), "payload": event.payload,
        "deliveries": [{"endpoint": delivery.endpoint.name, "status": delivery.status, "attempts": delivery.attempts,
                        "delivered_at": _when(delivery.delivered_at)} for delivery in event.deliveries.all()],
    }


def _escalation(esc: Escalation, notifications: list[Notification],
                webhook_events: list[OutboxEvent]) -> dict[str, Any]:
    stage = esc.stage
    return {
        "id": esc.pk,
        "ladder": {"slug": esc.ladder.slug, "name": esc.ladder.name, "version": esc.ladder.version},
        "raising_organisation": esc.raising_organisation.slug,
        "receiving_organisation": esc.receiving_organisation.slug if esc.receiving_organisation_id else None,
        "state": esc.state,
        "risk_level": esc.risk_level,
        "category": esc.category,
        "decision_challenged": esc.decision_challenged,
        "concern": esc.concern,
        "basis": esc.basis,
        "desired_outcome": esc.desired_outcome,
        "raised_by": _who(esc.raised_by),
        "raised_at": _when(esc.raised_at),
        "stage": {"index": stage.index, "name": stage.name},
        "holder": _who(esc.holder),
        "stage_started_at": _when(esc.stage_started_at),
        "stage_deadline": _when(esc.stage_deadline),
        "overall_deadline": _when(esc.overall_deadline),
        "meeting_at": _when(esc.meeting_at),
        "decision": esc.decision,
        "rationale": esc.rationale,
        "agreed_outcome": esc.agreed_outcome,
        "outstanding_actions": esc.outstanding_actions,
        "mediator": _who(esc.mediator),
        "board_logged_at": _when(esc.board_logged_at),
        "resolved_at": _when(esc.resolved_at),
        "closed_at": _when(esc.closed_at),
        "anonymised_at": _when(esc.anonymised_at),
        "times_reopened": esc.times_reopened,
        "times_auto_advanced": esc.times_auto_advanced,
        "participants": [{"person": _who(p.user), "reason": p.reason} for p in esc.participants.all()],
        "timeline": [timeline_item(entry, when=_when) for entry in esc.timeline.all()],
        "board_logs": [board_log_item(log, when=_when) for log in esc.board_logs.all()],
        "panel": [panel_item(seat, when=_when) for seat in esc.panel_members.all()],
        "debriefs": [debrief_item(debrief, when=_when) for debrief in esc.debriefs.all()],
        "attachments": [attachment_item(item, when=_when) for item in esc.attachments.all()],
        # The PSW's register (oversight) links issues to escalations; the relation is read, not imported.
        "systemic_issues": [{"id": issue.pk, "kind": issue.kind, "title": issue.title, "status": issue.status}
                            for issue in esc.systemic_issues.all()],
        "notifications": [_notification(n) for n in notifications],
        "webhook_events": [_webhook_event(event) for event in webhook_events],
    }


def _notification(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk, "kind": notification.kind, "recipient": _who(notification.recipient),
        "created_at": _when(notification.created_at), "read_at": _when(notification.read_at),
        "email_sent_at": _when(notification.email_sent_at), "message": notification.message,
        "params": notification.params,
    }


def subject_access_document(*, case: Case, actor: User | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Build the export of one case. The caller has checked ``may_export`` (the command runs on the server).

    A fixed number of queries whatever the number of escalations: each relation is prefetched once.
    """
    now = now or timezone.now()
    escalations = escalations_held(Escalation.objects.filter(case=case), systemic_issues=True)
    ids = [esc.pk for esc in escalations]
    about: dict[int, list[Notification]] = {pk: [] for pk in ids}
    for notification in (Notification.objects.filter(escalation_id__in=ids)
                         .select_related("recipient__organisation").order_by("created_at", "pk")):
        about[notification.escalation_id].append(notification)
    sent: dict[int, list[OutboxEvent]] = {pk: [] for pk in ids}
    if ids:
        for event in (OutboxEvent.objects.filter(escalation_id__in=ids).select_related("organisation")
                      .prefetch_related(Prefetch("deliveries", Delivery.objects.select_related("endpoint")
                                                 .order_by("pk")))
                      .order_by("created_at", "pk")):
            sent[event.escalation_id].append(event)
    # The PSWs' daily digests name overdue escalations in a list, not by their own foreign key.
    digests = [
        digest for digest in Notification.objects.filter(
            kind=Kind.PSW_DIGEST, escalation__isnull=True, recipient__organisation_id__in={
                case.organisation_id, *(e.raising_organisation_id for e in escalations),
                *(e.receiving_organisation_id for e in escalations if e.receiving_organisation_id)},
        ).select_related("recipient__organisation").order_by("created_at", "pk")
        if any(item.get("id") in about for item in (digest.params or {}).get("overdue", []) if isinstance(item, dict))
    ]
    return {
        "format": "escalation-tracker subject-access export",
        "format_version": FORMAT_VERSION,
        "generated_at": _when(now),
        "generated_by": _who(actor) if actor is not None else "the subject_access_export command",
        "case": {
            "id": case.pk,
            "reference": case.reference,
            "display_name": case.display_name,
            "organisation": case.organisation.slug,
            "allocated_worker": _who(case.allocated_worker),
            "created_at": _when(case.created_at),
            "anonymised_at": _when(case.anonymised_at),
        },
        "escalations": [_escalation(esc, about[esc.pk], sent[esc.pk]) for esc in escalations],
        "digests_listing_the_case": [_notification(digest) for digest in digests],
    }


def subject_access_recorded(*, case: Case, actor: User | None, via: str, escalations: int) -> None:
    """Record that an export was made: by whom, of which case (by id), through which door.

    A structured log line (ids only, never the reference or a name), and one ``exported`` row in the access
    log for each of the case's escalations, so that the PSW's access log shows the export.
    """
    logger.info("subject-access export", extra={
        "event": "subject_access_export", "case_id": case.pk, "organisation_id": case.organisation_id,
        "user_id": actor.pk if actor is not None else None, "via": via, "escalations": escalations,
    })
    access_record_many(action=Action.EXPORTED, objs=Escalation.objects.filter(case=case).order_by("pk"),
                       user=actor, detail={"via": f"subject_access_{via}", "case_id": case.pk})
