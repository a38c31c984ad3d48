"""Attachments in the browser: upload on the escalation page, download only through the checked view."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations.attachments import attachment_create, attachments_prefetch
from escalations.models import Attachment, Escalation

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENTS_ROOT


@pytest.fixture
def esc(raise_escalation):
    return raise_escalation("bexley-practitioner", "bexley-internal")


def upload_url(esc) -> str:
    return reverse("escalations:attachment_upload", args=[esc.pk])


def download_url(attachment) -> str:
    return reverse("escalations:attachment_download", args=[attachment.pk])


def post_file(client, esc, name="minutes.pdf", content=PDF, description="Minutes of 4 November"):
    return client.post(upload_url(esc), {"file": SimpleUploadedFile(name, content), "description": description})


def attached(esc, people, who="bexley-team-manager", name="minutes.pdf", content=PDF):
    return attachment_create(escalation=esc, actor=people[who], upload=SimpleUploadedFile(name, content))


# --- upload ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-team-manager", "bexley-psw"])
def test_people_who_see_the_escalation_attach_a_file(client, people, esc, username):
    client.force_login(people[username])
    response = post_file(client, esc)
    assert response.status_code == 302 and response.url == reverse("escalations:detail", args=[esc.pk])
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.uploaded_by) == ("minutes.pdf", people[username])
    assert esc.timeline.last().action == "attach"


def test_the_qap_chair_attaches_to_a_logged_escalation(client, people, raise_escalation):
    from escalations import services

    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    services.escalation_log_with_board(escalation=esc, actor=people["puddleducks-practitioner"], reason="Serious.")
    client.force_login(people["wiltshire-qap-chair"])
    assert post_file(client, esc).status_code == 302


def test_the_upload_page_works_without_javascript(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    page = client.get(upload_url(esc)).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "csrfmiddlewaretoken" in page
    assert "smaller than 10 MB" in page


def test_a_spoofed_file_is_refused_with_a_clear_message_and_nothing_kept(client, people, esc, private_root):
    client.force_login(people["bexley-practitioner"])
    response = post_file(client, esc, name="minutes.pdf", content=EXE)
    page = response.content.decode()
    assert response.status_code == 200 and 'class="govuk-error-summary"' in page
    assert 'href="#id_file">The selected file is not a real PDF: its content does not match its .pdf name.' in page
    assert not Attachment.objects.exists() and not any(p.is_file() for p in private_root.rglob("*"))


def test_a_type_outside_the_allow_list_is_refused(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    page = post_file(client, esc, name="page.html", content=b"<html></html>").content.decode()
    assert "The selected file must be a PDF, DOC, DOCX, ODT, RTF, TXT, EML, MSG, PNG or JPG." in page
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused(client, people, esc, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    client.force_login(people["bexley-practitioner"])
    page = post_file(client, esc).content.decode()
    assert "The selected file must be smaller than 50 bytes." in page
    assert not Attachment.objects.exists()


def test_no_file_is_explained(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    page = client.post(upload_url(esc), {"description": "Minutes"}).content.decode()
    assert 'href="#id_file">Select a file.' in page
    assert esc.timeline.count() == 1


def test_an_empty_file_is_explained(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    page = post_file(client, esc, content=b"").content.decode()
    assert "The selected file is empty." in page


def test_a_long_description_is_explained(client, people, esc):
    client.force_login(people["bexley-practitioner"])
    page = post_file(client, esc, description="x" * 300).content.decode()
    assert 'href="#id_description">The description must be 255 characters or fewer.' in page
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("username", ["stoke-psw", "wiltshire-board-member", "puddleducks-practitioner"])
def test_someone_who_cannot_see_the_escalation_cannot_upload(client, people, esc, username, private_root):
    client.force_login(people[username])
    assert post_file(client, esc).status_code == 404
    assert not Attachment.objects.exists() and not private_root.exists()


def test_an_outsider_cannot_see_the_upload_page(client, people, esc):
    client.force_login(people["stoke-psw"])
    assert client.get(upload_url(esc)).status_code == 404
    assert not Attachment.objects.exists()


def test_upload_is_refused_with_403_where_the_rules_say_no(client, people, esc, monkeypatch):
    """Someone who sees the escalation but lacks the attach permission is refused, not redirected."""
    import rules

    monkeypatch.setitem(rules.permissions.permissions, "escalations.attach", rules.always_deny)
    client.force_login(people["bexley-practitioner"])
    assert post_file(client, esc).status_code == 403
    assert not Attachment.objects.exists()


# --- download -------------------------------------------------------------------------------------------
def test_a_participant_downloads_the_file_as_an_attachment(client, people, esc):
    attachment = attached(esc, people)
    client.force_login(people["bexley-practitioner"])
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_a_text_file_is_never_rendered_inline(client, people, esc):
    attachment = attached(esc, people, name="notes.txt", content=b"<script>alert(1)</script>")
    client.force_login(people["bexley-psw"])
    response = client.get(download_url(attachment))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("username", ["wiltshire-board-member", "stoke-psw", "puddleducks-practitioner",
                                      "wiltshire-qap-chair"])
def test_people_who_cannot_see_the_escalation_get_404(client, people, esc, username):
    attachment = attached(esc, people)
    client.force_login(people[username])
    assert client.get(download_url(attachment)).status_code == 404


def test_someone_signed_out_is_sent_to_sign_in(client, people, esc):
    attachment = attached(esc, people)
    response = client.get(download_url(attachment))
    assert response.status_code == 302 and "sign-in" in response.url


def test_a_file_gone_from_storage_is_404(client, people, esc, private_root):
    attachment = attached(esc, people)
    (private_root / attachment.file.name).unlink()
    client.force_login(people["bexley-practitioner"])
    assert client.get(download_url(attachment)).status_code == 404


def test_files_are_not_under_a_public_path(settings, people, esc, private_root):
    attachment = attached(esc, people)
    assert (private_root / attachment.file.name).is_file()
    public = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    assert not any(str(private_root / attachment.file.name).startswith(str(root)) for root in public)


# --- the partial on the escalation page -----------------------------------------------------------------
def render_partial(esc_pk, user, can_attach):
    esc = Escalation.objects.prefetch_related(attachments_prefetch()).get(pk=esc_pk)
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("escalations/_attachments.html",
                            {"escalation": esc, "can_attach": can_attach}, request=request)


def test_the_partial_lists_name_uploader_date_size_and_download_link(people, esc):
    attachment = attached(esc, people)
    html = render_partial(esc.pk, people["bexley-practitioner"], can_attach=False)
    assert f'href="{download_url(attachment)}"' in html and "minutes.pdf" in html
    assert "Grace Mensah" in html and "bytes" in html
    assert "<form" not in html


def test_the_partial_offers_the_upload_form_to_those_who_may_attach(people, esc):
    html = render_partial(esc.pk, people["bexley-practitioner"], can_attach=True)
    assert f'action="{upload_url(esc)}"' in html and 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html and 'name="file"' in html and 'name="description"' in html
    assert "No files are attached." in html


def test_the_partial_reads_every_attachment_in_one_prefetch(people, esc):
    attached(esc, people)
    with CaptureQueriesContext(connection) as one:
        render_partial(esc.pk, people["bexley-practitioner"], can_attach=False)
    for who in ("bexley-practitioner", "bexley-psw", "bexley-service-manager", "bexley-team-manager"):
        attached(esc, people, who=who)
    with CaptureQueriesContext(connection) as five:
        html = render_partial(esc.pk, people["bexley-practitioner"], can_attach=False)
    assert html.count("minutes.pdf</a>") == 5 and len(five) == len(one)

