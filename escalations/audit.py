"""How the access log names an escalation and an attachment, and finds them behind a refused URL."""
from __future__ import annotations

from audit.subjects import Subject, register, register_url

from .actions import ACTIONS
from .models import Attachment, Escalation


def escalation_subject(escalation: Escalation) -> Subject:
    return Subject(kind="escalation", id=str(escalation.pk), escalation_id=escalation.pk,
                   organisation_id=escalation.raising_organisation_id,
                   partner_organisation_id=escalation.receiving_organisation_id)


def attachment_subject(attachment: Attachment) -> Subject:
    escalation = attachment.escalation
    return Subject(kind="attachment", id=str(attachment.pk), escalation_id=escalation.pk,
                   organisation_id=escalation.raising_organisation_id,
                   partner_organisation_id=escalation.receiving_organisation_id)


def _escalation_found(pk: int) -> Subject | None:
    row = Escalation.objects.filter(pk=pk).values("raising_organisation_id", "receiving_organisation_id").first()
    if row is None:
        return None
    return Subject(kind="escalation", id=str(pk), escalation_id=pk, organisation_id=row["raising_organisation_id"],
                   partner_organisation_id=row["receiving_organisation_id"])


def _attachment_found(pk: int) -> Subject | None:
    attachment = Attachment.objects.filter(pk=pk).select_related("escalation").first()
    return attachment_subject(attachment) if attachment is not None else None


def audit_subjects_register() -> None:
    """Called once by the app's ``ready``."""
    register(Escalation, escalation_subject)
    register(Attachment, attachment_subject)
    pages = ["detail", "raised", "record", "record_pdf", "chronology", "attachment_upload", *ACTIONS]
    for name in pages:
        register_url(f"escalations:{name}", kind="escalation", kwarg="pk", find=_escalation_found)
    register_url("escalations:attachment_download", kind="attachment", kwarg="pk", find=_attachment_found)
    for name in ["api-escalation", *(f"api-escalation-{spec.path}" for spec in ACTIONS.values())]:
        register_url(name, kind="escalation", kwarg="id", find=_escalation_found)
