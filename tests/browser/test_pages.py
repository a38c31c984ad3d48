"""The page defects the journeys find but leave to their own fixes, each checked on its own with a strict xfail:
the day a fix lands the check passes, the xfail turns into a failure, and its entry in checks.py goes with it.

- reflow at 320 px of the pages in ``KNOWN_REFLOW_DEFECTS`` (tables and filter selects);
- the focus after following an action link from a list (``KNOWN_FOCUS_DEFECT``);
- the error pages (403 and 404 with the site's own styles and a way back);
- the header's menu on one line at 1280 px.
"""
import pytest

from tests.browser.checks import KNOWN_FOCUS_DEFECT, KNOWN_REFLOW_DEFECTS, NARROW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.mark.parametrize("defect", [
    pytest.param(defect, id=defect.example.strip("/").replace("/", "-"),
                 marks=pytest.mark.xfail(strict=True, reason=defect.reason))
    for defect in KNOWN_REFLOW_DEFECTS if defect.example
])
def test_the_page_reflows_at_320_css_pixels(defect, demo, journey, check_page):
    page = journey.sign_in(defect.username)
    page.goto(defect.example)
    page.set_viewport_size({"width": NARROW, "height": 900})
    check_page.screenshot(page, defect.example + "-320px")
    scroll, client = page.evaluate(WIDTHS)
    assert scroll <= client, f"{defect.example} is {scroll} px wide at {client} px"


@pytest.mark.xfail(strict=True, reason=KNOWN_FOCUS_DEFECT)
def test_following_an_action_link_from_a_list_puts_the_focus_on_the_action_s_form(raise_escalation, journey):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-800800")
    page = journey.sign_in("bexley-team-manager")
    journey.visit(page, "/escalations/awaiting/")
    page.get_by_role("link", name="Record a decision (LCS-800800)").click()
    page.wait_for_url(f"**/escalations/{escalation.pk}/**")
    inside = page.evaluate("() => !!document.activeElement.closest('#action-respond')")
    assert inside, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")


def styled_with_a_way_back(page) -> None:
    assert page.locator("link[rel=stylesheet]").count(), "the error page has the site's styles"
    assert page.locator("h1.govuk-heading-l, h1.govuk-heading-xl").count(), "it says what happened in a heading"
    assert page.locator("main a[href]").count(), "it offers a way on"


@pytest.mark.xfail(strict=True, reason="a 403 is a bare '403 Forbidden' with no way back")
def test_a_refused_page_says_what_happened_and_where_to_go(people, journey):
    page = journey.sign_in("bexley-practitioner")
    response = page.goto("/escalations/psw-overview/")  # the PSW's page
    assert response.status == 403
    styled_with_a_way_back(page)


@pytest.mark.xfail(strict=True, reason="a 404 with DEBUG off is unstyled")
def test_a_missing_page_says_what_happened_and_where_to_go(people, journey):
    page = journey.sign_in("bexley-practitioner")
    response = page.goto("/escalations/999999/")
    assert response.status == 404
    styled_with_a_way_back(page)


@pytest.mark.xfail(strict=True, reason="the header menu wraps to two lines at 1280 px")
def test_the_header_menu_is_one_line_at_1280_pixels(people, journey):
    page = journey.sign_in("puddleducks-practitioner")
    tops = page.evaluate("() => [...document.querySelectorAll('.govuk-header__navigation-item')]"
                         ".map(item => item.getBoundingClientRect().top)")
    assert len(tops) >= 5 and len(set(tops)) == 1, tops
