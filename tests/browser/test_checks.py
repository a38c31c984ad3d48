"""The checks themselves can fail: axe-core finds a WCAG violation on a page made to have one, and the reflow
check measures a page wider than 320 px. (They are called directly here, so the run's tally stays the product's.)"""
import pytest

from tests.browser.checks import NARROW

pytestmark = [pytest.mark.browser]

PAGE = """<!doctype html><html lang="en"><head><title>Made to fail</title></head><body><main>
<h1>Made to fail</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<table><tr>{cells}</tr></table></main></body></html>"""


def test_axe_reports_an_image_without_a_text_alternative(page, check_page):
    page.set_content(PAGE.format(cells="<td>one</td>"))
    violations = check_page.axe(page)
    assert [v["rule"] for v in violations] == ["image-alt"]
    assert violations[0]["nodes"] == ["img"]


def test_reflow_measures_a_table_wider_than_320_pixels(page, check_page):
    page.set_content(PAGE.format(cells="".join(f"<td>column-{n}-with-a-long-word</td>" for n in range(8))))
    measured = check_page.reflow(page)
    assert measured["client_width"] == NARROW and measured["scroll_width"] > NARROW
    assert page.viewport_size["width"] == 1280  # widened again after measuring
