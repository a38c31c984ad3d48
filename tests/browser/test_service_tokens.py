"""The administrator makes, reads and revokes an API token for the organisation's case-management system in a
real browser: every page passes axe-core and reflows at 320 px, and the token shown once works on the API."""
import datetime as dt

import pytest
from django.test import Client

from tests.browser.steps import main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_administrator_makes_and_revokes_an_api_token(people, journey):
    page = journey.sign_in("bexley-org-admin")
    page.get_by_role("link", name="API tokens").first.click()
    journey.check(page)
    page.get_by_role("link", name="Make an API token").click()
    journey.check(page)
    journey.submit(page, page.get_by_role("button", name="Make the token"))  # nothing filled in
    assert "There is a problem" in main_text(page)
    last_day = dt.date.today() + dt.timedelta(days=60)
    page.fill("#id_name", "Mosaic")
    page.check("#id_scopes_0")
    page.check("#id_scopes_1")
    page.fill("#id_expires_day", str(last_day.day))
    page.fill("#id_expires_month", str(last_day.month))
    page.fill("#id_expires_year", str(last_day.year))
    journey.submit(page, page.get_by_role("button", name="Make the token"))
    key = page.get_by_test_id("token-key").inner_text().strip()
    assert key.startswith("etcms_")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/escalations/").status_code == 200

    page.get_by_role("link", name="I have copied the token").click()
    journey.check(page)
    assert "Mosaic" in main_text(page) and key not in page.content()
    page.get_by_role("link", name="Revoke").first.click()
    journey.check(page)
    journey.submit(page, page.get_by_role("button", name="Revoke the token"))
    assert "Revoked" in main_text(page)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/escalations/").status_code == 401
