"""Signing in through the organisation's single sign-on in a real browser, against a real OpenID Connect
provider (oidc-provider, tests/identity): the provider's own login page, and back to the person's work."""
import pytest

from tests.browser.steps import main_text
from tests.identity.conftest import PASSWORD, oidc_provider  # noqa: F401 (the provider, for this module too)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_practitioner_signs_in_through_bexley_s_provider(people, oidc_provider, journey, live_server):  # noqa: F811
    from django.conf import settings

    from identity.models import SignOn
    from organisations.models import Organisation

    SignOn.objects.create(organisation=Organisation.objects.get(slug="bexley"), issuer=oidc_provider.issuer,
                          client_id=oidc_provider.client_id, client_secret=oidc_provider.client_secret,
                          claim="email")
    page = journey.new_page()
    # The provider sends people back to the installation's address (SITE_URL): here, the live server.
    site = settings.SITE_URL.rstrip("/")
    page.context.route(site + "/**", lambda route: route.fulfill(
        status=302, headers={"Location": live_server.url + route.request.url[len(site):]}))

    journey.visit(page, "/sign-in/")
    page.get_by_role("link", name="Sign in with London Borough of Bexley").or_(
        page.get_by_role("button", name="Sign in with London Borough of Bexley")).first.click()
    page.wait_for_url(oidc_provider.issuer + "/**")
    page.fill("[name=login]", "practitioner")
    page.fill("[name=password]", PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/escalations/**")
    journey.check(page)
    assert "Sam Whitfield" in page.inner_text("[data-testid=user-bar]")
    assert "My escalations" in main_text(page) or "escalations" in page.url
