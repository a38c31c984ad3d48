"""The written record as a PDF: the record page's own HTML, laid out by WeasyPrint (Pango and the system's fonts).

Nothing is fetched over a network. WeasyPrint asks its fetcher, which asks only ``static_only``, for every
stylesheet, image and font the HTML names: the app's own static files are read from disk (the collected
``STATIC_ROOT``, else the finders), ``data:`` URLs are decoded in place, and everything else is refused, so an
address typed into the record, or a template that names another server, costs no request. The print style
sheet (``static/css/print.css``) applies, as when the page is printed from a browser.

WeasyPrint needs Pango (Debian: ``libpango-1.0-0``, ``libpangoft2-1.0-0``). Where it is missing the import
fails; ``pdf_unavailable`` says so in one line and the view answers 503 with it.
"""
from __future__ import annotations

import logging
import mimetypes
import posixpath
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import urlopen

from django.conf import settings
from django.contrib.staticfiles import finders

PANGO_MISSING = ("PDF export is not available on this server: install Pango "
                 "(Debian: libpango-1.0-0, libpangoft2-1.0-0)")
WEASYPRINT_MISSING = "PDF export is not available on this server: install WeasyPrint (the weasyprint package)"

# Relative URLs resolve against an address that cannot exist (RFC 6761 reserves .invalid), so that nothing a
# document names can be mistaken for this server's or another's: only its static prefix is served, from disk.
BASE_URL = "https://escalation-tracker.invalid/"


class FetchRefused(ValueError):
    """WeasyPrint asked for something that is not one of the app's static files."""


@cache
def pdf_unavailable() -> str:
    """Say why a PDF cannot be made on this server, in one line; empty where it can."""
    # WeasyPrint tells each step of each document, and warns of every CSS property it does not support (GOV.UK
    # Frontend's browser prefixes, by the hundred): only its errors (a refused fetch) reach the application logs.
    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi: OSError when the library is missing)
    except OSError:
        return PANGO_MISSING
    except ImportError:
        return WEASYPRINT_MISSING
    return ""


def _static_file(name: str) -> Path | None:
    """The file of a static name, from the collected files or the finders; None for a name outside them."""
    name = posixpath.normpath(unquote(name)).lstrip("/")
    if not name or name.startswith("..") or "/../" in f"/{name}/":
        return None
    collected = Path(settings.STATIC_ROOT) / name if settings.STATIC_ROOT else None
    if collected is not None and collected.is_file() and collected.resolve().is_relative_to(
            Path(settings.STATIC_ROOT).resolve()):
        return collected
    found = finders.find(name)
    return Path(found) if isinstance(found, str) else None


def static_only(url: str) -> dict[str, Any]:
    """What WeasyPrint may fetch: the app's static files from disk and ``data:`` URLs; nothing else, ever."""
    if url.startswith("data:"):
        with urlopen(url) as response:  # a data: URL, decoded by urllib in place: no network
            return {"string": response.read(), "mime_type": response.info().get_content_type()}
    prefix = urljoin(BASE_URL, settings.STATIC_URL)
    parts = urlsplit(url)
    if url.startswith(prefix) and not parts.query:
        path = _static_file(parts.path[len(urlsplit(prefix).path):])
        if path is not None:
            return {"string": path.read_bytes(), "mime_type": mimetypes.guess_type(path.name)[0]}
    raise FetchRefused(f"Refused to fetch {parts.scheme}://{parts.netloc}{parts.path}: only the app's static files")


@cache
def _fetcher_class() -> type:
    """WeasyPrint's fetcher made to answer from ``static_only`` alone (its own opener, which would reach the
    network, is never called). Built on first use: importing WeasyPrint needs Pango."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            found = static_only(url)
            return URLFetcherResponse(url, body=found["string"],
                                      headers={"Content-Type": found["mime_type"] or "application/octet-stream"})

        def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
            return self.fetch(url if isinstance(url, str) else url.full_url)

    return StaticOnlyFetcher


def pdf_from_html(html: str) -> bytes:
    """Lay the HTML out for print and return the PDF's bytes. The caller has checked ``pdf_unavailable``."""
    from weasyprint import HTML

    fetcher = _fetcher_class()(allowed_protocols=("https", "data"), allow_redirects=False)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher, media_type="print").write_pdf()
