"""Attachments on an escalation: minutes, e-mails, reports.

Files are checked twice before they are kept: the extension must be on the allow-list and the
content must look like that kind of file (its magic bytes, or text for .txt and .eml), so that a
renamed executable or web page is refused. They are written under ``settings.ATTACHMENTS_ROOT``,
outside any public path, under a random name, and read back only by the permission-checked
download view.
"""
from __future__ import annotations

import codecs
import os
import re
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from core.errors import ActionConflict
from organisations.models import User

from . import events
from .models import Attachment, Escalation, Participant
from .services import ActionNotPermitted

DESCRIPTION_LIMIT = 255  # the model's column
NAME_LIMIT = 255  # the model's column
# How much of a file is read to decide whether it is text: enough for any header, small enough to be quick.
TEXT_SNIFF_BYTES = 64 * 1024

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: .doc and Outlook's .msg
RTF_MAGIC = b"{\\rtf"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# An e-mail file starts with a header line such as "From: ..." or "Received: ..." (RFC 5322 section 2.2).
EMAIL_HEADER = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str


ALLOWED: dict[str, FileKind] = {
    "pdf": FileKind("PDF", "application/pdf"),
    "doc": FileKind("Word document", "application/msword"),
    "docx": FileKind("Word document",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": FileKind("OpenDocument text", "application/vnd.oasis.opendocument.text"),
    "rtf": FileKind("rich text document", "application/rtf"),
    "txt": FileKind("text file", "text/plain"),
    "eml": FileKind("e-mail", "message/rfc822"),
    "msg": FileKind("Outlook e-mail", "application/vnd.ms-outlook"),
    "png": FileKind("PNG image", "image/png"),
    "jpg": FileKind("JPEG image", "image/jpeg"),
    "jpeg": FileKind("JPEG image", "image/jpeg"),
}
ALLOWED_LIST = "PDF, DOC, DOCX, ODT, RTF, TXT, EML, MSG, PNG or JPG"
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in ALLOWED)


def attachments_storage() -> Storage:
    """Return the attachments' private storage (settings ``STORAGES["attachments"]``).

    The local disk under ATTACHMENTS_ROOT by default (read at call time, so tests may move it), or a
    private bucket of S3-compatible object storage when ATTACHMENTS_S3_BUCKET is set.
    """
    config = settings.STORAGES["attachments"]
    if config["BACKEND"] == "django.core.files.storage.FileSystemStorage":
        config = {**config, "OPTIONS": {**config.get("OPTIONS", {}), "location": settings.ATTACHMENTS_ROOT}}
    return storages.create_storage(config)


def attachments_prefetch() -> Prefetch:
    """Prefetch an escalation's attachments with their uploaders, for the escalation page."""
    return Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by"))


def max_size_words() -> str:
    """Say the size limit as people write it: "10 MB", "500 KB"."""
    size = settings.ATTACHMENT_MAX_BYTES
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return filesizeformat(size).replace("\xa0", " ")


# --- content checks ----------------------------------------------------------------------------------
def _head(upload: File, size: int) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def _zip_names(upload: File) -> set[str] | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def _odt_mimetype(upload: File) -> bytes | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.read("mimetype").strip()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def _is_text(head: bytes) -> bool:
    """Text has no NUL byte and decodes as UTF-8 or Windows-1252 (the two encodings staff e-mails use)."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            # final=False: the sample may end half-way through a multi-byte character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _content_matches(extension: str, upload: File) -> bool:
    head = _head(upload, TEXT_SNIFF_BYTES)
    if extension == "pdf":
        # A PDF reader accepts the header anywhere in the first 1024 bytes (PDF 1.7, Annex H.3).
        return PDF_MAGIC in head[:1024]
    if extension == "png":
        return head.startswith(PNG_MAGIC)
    if extension in ("jpg", "jpeg"):
        return head.startswith(JPEG_MAGIC)
    if extension in ("doc", "msg"):
        return head.startswith(OLE_MAGIC)
    if extension == "rtf":
        return head.startswith(RTF_MAGIC)
    if extension == "docx":
        names = _zip_names(upload) if head.startswith(ZIP_MAGIC) else None
        return bool(names) and "[Content_Types].xml" in names and "word/document.xml" in names
    if extension == "odt":
        return head.startswith(ZIP_MAGIC) and _odt_mimetype(upload) == ODT_MIMETYPE
    if extension == "txt":
        return _is_text(head)
    if extension == "eml":
        return _is_text(head) and bool(EMAIL_HEADER.match(head.lstrip(b"\xef\xbb\xbf")))
    return False


def attachment_clean_name(name: str) -> str:
    """Return a safe display name: no directories, no characters a header or file system dislikes."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:  # "", "." or "..": nothing usable is left
        cleaned = ""
    if len(cleaned) > NAME_LIMIT:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = f"{stem[:NAME_LIMIT - len(ext) - 1]}.{ext}" if dot else cleaned[:NAME_LIMIT]
    return cleaned


def attachment_validate(*, upload: File | None) -> tuple[str, str]:
    """Check an uploaded file's presence, size, extension and content.

    Returns the clean name and the content type to serve it with; raises ValidationError
    ({"file": [reason]}) otherwise.
    """
    if upload is None:
        raise ValidationError({"file": ["Select a file."]})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": ["The selected file is empty."]})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": [f"The selected file must be smaller than {max_size_words()}."]})
    name = attachment_clean_name(upload.name or "")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError({"file": [f"The selected file must be a {ALLOWED_LIST}."]})
    if not _content_matches(extension, upload):
        kind = ALLOWED[extension].label
        raise ValidationError({"file": [
            f"The selected file is not a real {kind}: its content does not match its .{extension} name. "
            "Save it again in that format, or choose another file."
        ]})
    return name, ALLOWED[extension].content_type


# --- writes ------------------------------------------------------------------------------------------
def attachment_create(*, escalation: Escalation, actor: User, upload: File | None,
                      description: str = "") -> Attachment:
    """Keep a file on an escalation and note it on the timeline, all or nothing.

    Raises ActionNotPermitted (403) if the actor may not attach, ValidationError (400) for a bad
    file or description. A failure leaves neither a row, a timeline entry nor a file behind.
    """
    if not actor.has_perm("escalations.attach", escalation):
        raise ActionNotPermitted("You are not allowed to add attachments to this escalation.")
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if len(description) > DESCRIPTION_LIMIT:
        errors["description"] = [f"The description must be {DESCRIPTION_LIMIT} characters or fewer."]
    try:
        name, content_type = attachment_validate(upload=upload)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    storage = attachments_storage()
    extension = name.rpartition(".")[2].lower()
    saved_name: str | None = None
    try:
        with transaction.atomic():
            esc = Escalation.objects.select_for_update().select_related("ladder").get(pk=escalation.pk)
            # Re-checked under the lock: visibility may have changed since the page was drawn.
            if not actor.has_perm("escalations.attach", esc):
                raise ActionNotPermitted("You are not allowed to add attachments to this escalation.")
            if esc.anonymised_at is not None:  # the retention period erased it (escalations.retention)
                raise ActionConflict("Its retention period has passed and its details are erased: nothing can be "
                                     "attached to it.")
            upload.seek(0)
            # A random name on disk: nothing the uploader typed reaches the file system.
            saved_name = storage.save(f"escalation-{esc.pk}/{uuid.uuid4().hex}.{extension}", upload)
            attachment = Attachment(
                escalation=esc, original_name=name, content_type=content_type, size=upload.size,
                description=description, uploaded_by=actor,
            )
            attachment.file.name = saved_name
            attachment.save()
            Participant.objects.get_or_create(escalation=esc, user=actor, defaults={"reason": "attachment"})
            events.timeline_add(events.attachment_added(esc, actor=actor, attachment_id=attachment.pk, name=name,
                                                        size=upload.size, description=description))
    except BaseException:
        if saved_name is not None:
            storage.delete(saved_name)
        raise
    return attachment


def attachment_open(*, attachment: Attachment) -> File:
    """Open an attachment's bytes from the private storage; FileNotFoundError if it has gone."""
    return attachments_storage().open(attachment.file.name, "rb")
