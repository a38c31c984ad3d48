"""The chronology and the written record's PDF: a fully worked escalation, and what a PDF needs to be made."""
from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case
from escalations import record_pdf, services
from escalations.attachments import attachment_create
from escalations.models import Escalation
from tests.conftest import at

REFERENCE = "LCS-910001"
NAME = "J.B."  # the child's display name: initials, as the demo keeps
PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _needed(what: str) -> None:
    """Skip with the one-line reason where something a test needs is missing; in CI its absence fails."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}; in CI its absence is a failure.")
    pytest.skip(what)


@pytest.fixture
def pango():
    """WeasyPrint with Debian's Pango: the tests that make a PDF need it."""
    reason = record_pdf.pdf_unavailable()
    if reason:
        _needed(reason)


@pytest.fixture
def pdf_text():
    """The text of a PDF's pages, read with pypdf."""
    try:
        from pypdf import PdfReader
    except ImportError:
        _needed("Reading a PDF's text needs pypdf (the test dependencies: pip install pypdf)")
    import io

    def read(content: bytes) -> str:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)

    return read


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"


def worked_escalation(people, raise_escalation, travel, *, reference: str = REFERENCE, day: int = 2) -> Escalation:
    """A Bexley escalation carried to the end on Monday ``day`` November 2026: raised at 9am, a note at 10am, an
    attachment at 11am, a meeting arranged at midday for the next day, a decision at 3pm, accepted at 4pm with
    the written confirmation, and a debrief at 4:30pm. The case's display name is ``NAME``."""
    raiser = people["bexley-practitioner"]
    travel(at(2026, 11, day, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference=reference)
    Case.objects.filter(pk=esc.case_id).update(display_name=NAME)
    travel(at(2026, 11, day, 10, 0))
    services.escalation_add_note(escalation=esc, actor=raiser, note="Spoke to the school on the phone.")
    travel(at(2026, 11, day, 11, 0))
    attachment_create(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                      upload=SimpleUploadedFile("minutes.pdf", PDF_BYTES, content_type="application/pdf"),
                      description="Strategy meeting minutes")
    travel(at(2026, 11, day, 12, 0))
    esc = Escalation.objects.get(pk=esc.pk)
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=at(2026, 11, day + 1, 14, 30))
    travel(at(2026, 11, day, 15, 0))
    esc = Escalation.objects.get(pk=esc.pk)
    services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Reassess now.")
    travel(at(2026, 11, day, 16, 0))
    services.escalation_accept(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                               agreed_outcome="Reassessment booked for Friday.",
                               outstanding_actions="The team manager reviews it in a month.")
    travel(at(2026, 11, day, 16, 30))
    services.escalation_record_debrief(escalation=Escalation.objects.get(pk=esc.pk), actor=raiser,
                                       note="Quick and respectful.")
    return Escalation.objects.get(pk=esc.pk)
