"""Attachments: what is accepted, what is refused and why, and that a refusal leaves nothing behind."""
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from escalations import attachments
from escalations.attachments import attachment_clean_name, attachment_create, attachment_validate
from escalations.models import Attachment, Participant, TimelineEntry
from escalations.services import ActionNotPermitted

pytestmark = pytest.mark.django_db


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})
RTF = b"{\\rtf1\\ansi Minutes of the strategy meeting.}"
TXT = "Notes of the call with the team manager, 4 November: agreed to meet on Friday. Café.".encode()
EML = b"From: team.manager@example.org\r\nTo: practitioner@example.org\r\nSubject: Decision\r\n\r\nUpheld."
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENTS_ROOT


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def file_error(**kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        attachment_validate(**kwargs)
    return caught.value.message_dict["file"][0]


# --- what is accepted ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("minutes.pdf", PDF, "application/pdf"),
    ("photo.png", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.JPEG", JPEG, "image/jpeg"),
    ("letter.doc", OLE, "application/msword"),
    ("e-mail.msg", OLE, "application/vnd.ms-outlook"),
    ("report.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("report.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ("minutes.rtf", RTF, "application/rtf"),
    ("notes.txt", TXT, "text/plain"),
    ("notes.txt", "Notes from the café".encode("cp1252"), "text/plain"),
    ("decision.eml", EML, "message/rfc822"),
])
def test_allowed_files_are_accepted_and_served_with_their_own_type(name, content, content_type):
    """The content type comes from the allow-list, never from what the browser claimed."""
    assert attachment_validate(upload=upload(name, content, "text/html")) == (name, content_type)


# --- what is refused, and why -------------------------------------------------------------------------
def test_no_file_is_refused():
    assert file_error(upload=None) == "Select a file."


def test_an_empty_file_is_refused():
    assert file_error(upload=upload("minutes.pdf", b"")) == "The selected file is empty."


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    message = file_error(upload=upload("minutes.pdf", PDF + b"0" * 1024))
    assert message == "The selected file must be smaller than 1 KB."


def test_a_file_at_the_size_limit_is_accepted(settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    assert attachment_validate(upload=upload("minutes.pdf", PDF))[0] == "minutes.pdf"


@pytest.mark.parametrize("name", ["script.exe", "page.html", "macro.docm", "archive.zip", "minutes.pdf.exe",
                                  "README", "image.svg"])
def test_an_extension_outside_the_allow_list_is_refused(name):
    assert file_error(upload=upload(name, PDF)) == (
        "The selected file must be a PDF, DOC, DOCX, ODT, RTF, TXT, EML, MSG, PNG or JPG."
    )


@pytest.mark.parametrize(("name", "content"), [
    ("minutes.pdf", EXE),          # a program renamed to .pdf
    ("minutes.pdf", PNG),          # an image renamed to .pdf
    ("photo.png", JPEG),
    ("photo.jpg", PNG),
    ("letter.doc", DOCX),          # the zip of a .docx is not the OLE of a .doc
    ("report.docx", _zip({"index.html": b"<html>"})),  # a zip that is not a Word document
    ("report.docx", OLE),
    ("report.odt", DOCX),
    ("minutes.rtf", TXT),
    ("notes.txt", EXE),            # binary bytes under a text name
    ("notes.txt", PNG),
    ("decision.eml", b"Just some text without any header line"),
    ("decision.msg", PDF),
])
def test_content_that_does_not_match_its_extension_is_refused(name, content):
    extension = name.rpartition(".")[2]
    message = file_error(upload=upload(name, content))
    assert message.startswith("The selected file is not a real ")
    assert f"its content does not match its .{extension} name" in message


def test_a_name_loses_its_directories_and_unsafe_characters():
    assert attachment_clean_name("../../etc/passwd.txt") == "passwd.txt"
    assert attachment_clean_name("C:\\Users\\sam\\minutes 4 Nov.pdf") == "minutes_4_Nov.pdf"
    assert attachment_clean_name("..") == ""


def test_a_very_long_name_keeps_its_extension():
    name = attachment_clean_name("a" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")


# --- keeping a file -----------------------------------------------------------------------------------
def test_an_attachment_is_kept_privately_and_written_on_the_timeline(raise_escalation, people, private_root):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    attachment = attachment_create(
        escalation=esc, actor=people["bexley-team-manager"], upload=upload("minutes.pdf", PDF),
        description="Minutes of the meeting on 4 November",
    )
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "minutes.pdf", "application/pdf", len(PDF),
    )
    assert attachment.uploaded_by == people["bexley-team-manager"]
    on_disk = private_root / attachment.file.name
    assert on_disk.read_bytes() == PDF
    # Stored under a random name: nothing the uploader typed reaches the file system.
    assert "minutes" not in attachment.file.name and attachment.file.name.startswith(f"escalation-{esc.pk}/")
    entry = esc.timeline.last()
    assert (entry.action, entry.actor, entry.note) == ("attach", people["bexley-team-manager"],
                                                       "Minutes of the meeting on 4 November")
    assert entry.params == {"attachment": attachment.pk, "name": "minutes.pdf", "size": len(PDF)}
    assert entry.from_state == entry.to_state == "open"


def test_the_timeline_names_the_file_when_there_is_no_description(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    attachment_create(escalation=esc, actor=people["bexley-practitioner"], upload=upload("notes.txt", TXT))
    assert esc.timeline.last().note == "notes.txt"


def test_the_uploader_becomes_a_participant(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    attachment_create(escalation=esc, actor=people["bexley-psw"], upload=upload("notes.txt", TXT))
    assert Participant.objects.filter(escalation=esc, user=people["bexley-psw"]).exists()


def test_a_refused_file_saves_nothing(raise_escalation, people, private_root):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ValidationError):
        attachment_create(escalation=esc, actor=people["bexley-practitioner"], upload=upload("minutes.pdf", EXE))
    assert not Attachment.objects.exists()
    assert list(esc.timeline.values_list("action", flat=True)) == ["raise"]
    assert stored_files(private_root) == []


def test_a_too_long_description_is_refused_with_the_file_unsaved(raise_escalation, people, private_root):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ValidationError) as caught:
        attachment_create(escalation=esc, actor=people["bexley-practitioner"], upload=upload("minutes.pdf", PDF),
                          description="x" * 256)
    assert caught.value.message_dict == {"description": ["The description must be 255 characters or fewer."]}
    assert not Attachment.objects.exists() and stored_files(private_root) == []


def test_someone_who_cannot_see_the_escalation_may_not_attach(raise_escalation, people, private_root):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    for outsider in ("stoke-psw", "wiltshire-board-member"):
        with pytest.raises(ActionNotPermitted):
            attachment_create(escalation=esc, actor=people[outsider], upload=upload("minutes.pdf", PDF))
    assert not Attachment.objects.exists() and stored_files(private_root) == []


def test_a_failure_after_the_file_is_written_removes_the_file(raise_escalation, people, private_root, monkeypatch):
    """If the timeline cannot be written, the row rolls back and the file is deleted: no orphan."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal")

    def broken(entry):
        raise RuntimeError("database went away")

    monkeypatch.setattr(attachments.events, "timeline_add", broken)
    with pytest.raises(RuntimeError):
        attachment_create(escalation=esc, actor=people["bexley-practitioner"], upload=upload("minutes.pdf", PDF))
    assert not Attachment.objects.exists()
    assert TimelineEntry.objects.filter(action="attach").count() == 0
    assert stored_files(private_root) == []
