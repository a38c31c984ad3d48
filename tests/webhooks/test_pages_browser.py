"""The webhook pages in a real browser (BROWSER_TESTS=1): every page of an administrator's journey passes axe-core
and reflows at 320 CSS pixels, under the site's Content-Security-Policy (tests/browser/checks.py)."""
import re

import pytest

from tests.browser.conftest import (  # noqa: F401 (the journeys' fixtures, outside tests/browser)
    artefacts,
    base_url,
    browser_context_args,
    browser_type_launch_args,
    check_page,
    journey,
)
from tests.browser.steps import main_text
from tests.webhooks.test_pages_support import delivery_made
from webhooks.models import Delivery, Endpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_an_endpoint_rotates_its_secret_and_reads_its_log(people, journey):  # noqa: F811
    page = journey.sign_in("bexley-org-admin")
    journey.visit(page, "/administration/webhooks/")
    journey.submit(page, page.get_by_role("link", name="Add an endpoint"))
    journey.submit(page, page.get_by_role("button", name="Add the endpoint"))  # nothing filled: the errors
    assert "Enter a name for the endpoint" in main_text(page)
    page.fill("#id_name", "Mosaic")
    page.fill("#id_url", "http://127.0.0.1:9/escalation-events")  # nothing listens: each try is refused
    page.check("input[value='escalation.raise']")
    page.check("input[value='escalation.respond']")
    journey.submit(page, page.get_by_role("button", name="Add the endpoint"))
    first = re.search(r"whsec_\S+", main_text(page)).group(0)
    journey.submit(page, page.get_by_role("link", name="Continue to Mosaic"))
    assert first not in main_text(page) and "Every kind" not in main_text(page)
    journey.submit(page, page.get_by_role("button", name="Turn on"))
    assert Endpoint.objects.get().active

    journey.submit(page, page.get_by_role("link", name="Rotate the secret"))
    journey.submit(page, page.get_by_role("button", name="Rotate the secret"))
    assert "The old secret works for 24 hours more" in main_text(page)
    assert re.search(r"whsec_\S+", main_text(page)).group(0) != first

    endpoint = Endpoint.objects.get()
    delivery_made(endpoint, status=Delivery.Status.FAILED, tries=[(500, ""), (None, "No answer: Connection refused")])
    delivery_made(endpoint, event_type="escalation.respond", status=Delivery.Status.DELIVERED, tries=[(204, "")])
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=endpoint.created_at)
    journey.visit(page, f"/administration/webhooks/{endpoint.pk}/deliveries/")
    assert "has been failing since" in main_text(page) and "Connection refused" in main_text(page)
    journey.submit(page, page.get_by_role("button", name=re.compile("^Send again")).first)
    assert "will be sent again" in main_text(page)
    journey.submit(page, page.get_by_role("link", name="Send a time range again"))
    journey.submit(page, page.get_by_role("button", name="Send again"))  # nothing filled: the errors
    assert "Enter the date of the first events to send again" in main_text(page)
    journey.visit(page, "/administration/webhooks/")
    journey.visit(page, "/administration/")
