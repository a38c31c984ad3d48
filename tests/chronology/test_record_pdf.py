"""The written record as a PDF (issue 16, item 3): the record page's HTML laid out by WeasyPrint with Debian's Pango
and fonts, for whoever may see the record, named by the escalation's number, audited, and fetching nothing."""
from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AccessEvent, Action
from cases.models import Case
from escalations import record_pdf, services
from escalations.models import Escalation
from organisations.models import User
from tests.chronology.conftest import NAME, REFERENCE, worked_escalation
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(people, raise_escalation, travel):
    return worked_escalation(people, raise_escalation, travel)


def pdf_of(client, user: User, escalation: Escalation):
    client.force_login(user)
    return client.get(reverse("escalations:record_pdf", args=[escalation.pk]))


class Counting(BaseHTTPRequestHandler):
    """A loopback server that answers anything with a tiny stylesheet and counts every request."""

    hits: list[str] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        body = b"body { color: red; }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def loopback():
    Counting.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Counting.hits
    server.shutdown()
    server.server_close()


# --- the document --------------------------------------------------------------------------------------------
def test_the_written_record_downloads_as_a_pdf_named_by_the_escalation_s_number(pango, pdf_text, client, people,
                                                                                  worked):
    response = pdf_of(client, people["bexley-practitioner"], worked)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"] == f'attachment; filename="escalation-{worked.pk}-written-record.pdf"'
    assert response.content.startswith(b"%PDF")
    text = " ".join(pdf_text(response.content).split())
    assert "Written record of a professional disagreement" in text
    assert f"Escalation number {worked.pk}" in text
    assert REFERENCE in text
    assert "Reassessment booked for Friday." in text
    assert "The team manager reviews it in a month." in text
    assert f"({NAME})" in text  # staff of the case's organisation read the child's name, as on the page
    # The print style sheet, read from the app's static files, hides the page's header, menus and footer.
    assert "Sign out" not in text and "call the Police on 999" not in text


def test_a_partner_agency_s_pdf_holds_no_child_s_name(pango, pdf_text, client, people, raise_escalation, travel):
    travel(at(2026, 11, 2, 9, 0))
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                           reference="LCS-910002")
    Case.objects.filter(pk=esc.case_id).update(display_name=NAME)
    esc = Escalation.objects.get(pk=esc.pk)
    partner = esc.holder
    assert partner.organisation.slug == "wiltshire" and not esc.case.name_readable_by(partner)

    client.force_login(partner)
    page = client.get(reverse("escalations:record", args=[esc.pk])).content.decode()
    theirs = pdf_of(client, partner, esc)
    own = pdf_of(client, people["puddleducks-practitioner"], esc)

    assert NAME not in page and "Download as PDF" in page
    assert theirs.status_code == 200 and NAME not in theirs["Content-Disposition"]
    assert "LCS-910002" in pdf_text(theirs.content) and NAME not in pdf_text(theirs.content)
    assert NAME in pdf_text(own.content)  # the same check finds the name where the page shows it


def test_each_pdf_is_an_export_in_the_access_log(pango, client, people, worked):
    pdf_of(client, people["bexley-practitioner"], worked)
    row = AccessEvent.objects.get(action=Action.EXPORTED)
    assert (row.escalation_id, row.username, row.detail) == (worked.pk, "bexley-practitioner", {"via": "record_pdf"})
    assert row.path == f"/escalations/{worked.pk}/record.pdf"


def test_the_escalation_and_record_pages_link_to_the_pdf(client, people, worked):
    client.force_login(people["bexley-practitioner"])
    url = reverse("escalations:record_pdf", args=[worked.pk])
    for page in ("escalations:record", "escalations:detail"):
        assert f'href="{url}"' in client.get(reverse(page, args=[worked.pk])).content.decode()


def test_someone_who_may_not_see_the_record_gets_no_pdf(client, people, worked):
    hidden = pdf_of(client, people["stoke-crm"], worked)
    missing = client.get("/escalations/999999/record.pdf")
    assert hidden.status_code == missing.status_code == 404
    strip = lambda content: re.sub(rb'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', b"", content)  # noqa: E731
    assert strip(hidden.content) == strip(missing.content)
    assert not AccessEvent.objects.filter(action=Action.EXPORTED).exists()


def test_without_pango_the_link_answers_a_clear_503(client, people, worked, monkeypatch):
    monkeypatch.setattr(record_pdf, "pdf_unavailable", lambda: record_pdf.PANGO_MISSING)
    response = pdf_of(client, people["bexley-practitioner"], worked)
    assert response.status_code == 503
    assert ("PDF export is not available on this server: install Pango (Debian: libpango-1.0-0, "
            "libpangoft2-1.0-0)") in response.content.decode()
    assert not AccessEvent.objects.filter(action=Action.EXPORTED).exists()


# --- no network -------------------------------------------------------------------------------------------------
HOSTILE = """<!DOCTYPE html><html><head><title>Record</title>
<link rel="stylesheet" href="{base}/remote.css">
<style>@import url("{base}/imported.css"); @font-face {{ font-family: X; src: url("{base}/font.woff"); }}
body {{ background: url("{base}/background.png"); font-family: X, sans-serif; }}</style>
<link rel="stylesheet" href="/static/css/print.css">
</head><body><h1>Written record</h1><img src="{base}/image.png" alt=""><img src="file:///etc/hostname" alt="">
<p>Escalation 42</p></body></html>"""


def test_the_pdf_fetches_nothing_from_another_server(pango, pdf_text, loopback):
    base, hits = loopback
    pdf = record_pdf.pdf_from_html(HOSTILE.format(base=base))
    assert pdf.startswith(b"%PDF") and "Escalation 42" in pdf_text(pdf)
    assert hits == []


def test_the_loopback_server_would_have_been_hit_by_weasyprint_s_own_fetcher(pango, loopback):
    """The control: the same HTML with WeasyPrint's default fetcher does reach the server, so the test above can
    fail."""
    from weasyprint import HTML

    base, hits = loopback
    HTML(string=HOSTILE.format(base=base), base_url=record_pdf.BASE_URL).write_pdf()
    assert "/remote.css" in hits and "/image.png" in hits


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/static/css/print.css", "file:///etc/passwd", "ftp://example.org/a.css",
    "https://escalation-tracker.invalid/elsewhere/a.css",
    "https://escalation-tracker.invalid/static/../../etc/passwd",
    "https://escalation-tracker.invalid/static/%2e%2e/%2e%2e/etc/passwd",
    "https://escalation-tracker.invalid/static/css/no-such-file.css",
])
def test_the_fetcher_refuses_anything_but_a_static_file(url):
    with pytest.raises(record_pdf.FetchRefused):
        record_pdf.static_only(url)


def test_the_fetcher_serves_the_app_s_static_files_from_disk():
    served = record_pdf.static_only(f"{record_pdf.BASE_URL}static/css/print.css")
    assert served["string"] == (settings.BASE_DIR / "static" / "css" / "print.css").read_bytes()
    assert served["mime_type"] == "text/css"
    assert record_pdf.static_only("data:text/css,body%7Bcolor%3Ared%7D")["string"] == b"body{color:red}"


def test_a_pdf_of_a_record_with_many_entries_is_still_made(pango, pdf_text, client, people, worked):
    for n in range(30):
        services.escalation_add_note(escalation=worked, actor=people["bexley-practitioner"], note=f"Follow-up {n}.")
    response = pdf_of(client, people["bexley-practitioner"], worked)
    assert response.status_code == 200 and "Follow-up 29." in pdf_text(response.content)
