"""The pages that once failed the checks, each checked on its own so that the defect cannot come back:

- reflow at 320 CSS pixels of every page with a table or filter selects (they stack into summary cards);
- the focus after following an action link from a list (on the action's unfolded form, not on <body>);
- the error pages (403 and 404 with the site's own styles and a way back);
- the service navigation on one line at 1280 px, for every role's menu.
"""
import pytest
from playwright.sync_api import expect

from tests.browser.checks import NARROW, WIDE
from tests.browser.steps import main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"

# The pages whose tables (or filter selects) once scrolled sideways at 320 px, with who sees them in the demo.
TABLE_PAGES = [
    ("/escalations/mine/", "bexley-practitioner"),
    ("/escalations/awaiting/", "bexley-team-manager"),
    ("/escalations/awaiting/my-cases/", "stoke-social-worker"),
    ("/escalations/board-logged/", "wiltshire-qap-chair"),
    ("/escalations/psw-overview/", "stoke-psw"),
    ("/escalations/systemic-issues/", "stoke-psw"),
    ("/reports/", "wiltshire-board-member"),
    ("/reports/print/", "wiltshire-board-member"),
    ("/administration/people/", "bexley-org-admin"),
    ("/absences/", "wiltshire-service-manager"),
]


def assert_reflows(page, check_page, label: str) -> None:
    page.set_viewport_size({"width": NARROW, "height": 900})
    check_page.screenshot(page, label + "-320px")
    scroll, client = page.evaluate(WIDTHS)
    assert client <= NARROW and scroll <= client, f"{label} is {scroll} px wide at {client} px"


@pytest.mark.parametrize(("path", "username"), TABLE_PAGES,
                         ids=[path.strip("/").replace("/", "-") for path, _ in TABLE_PAGES])
def test_the_page_reflows_at_320_css_pixels(path, username, demo, journey, check_page):
    page = journey.sign_in(username)
    journey.visit(page, path)
    assert page.locator("main table, main select").count(), f"{path} has no table or select to reflow"
    assert_reflows(page, check_page, path)


def test_the_staff_import_s_preview_reflows_at_320_css_pixels(people, journey, check_page):
    """The preview is reached only through the form: long e-mail addresses and a row's errors in its table."""
    csv = ("name,email,role,team,line_manager_email\n"
           "Philippa Montgomery-Fairweather,philippa.montgomery-fairweather@children-services.example.org,"
           "social_worker,,bexley-team-manager@example.org\n"
           "No Role,no.role@example.org,,,\n")
    page = journey.sign_in("bexley-org-admin")
    journey.visit(page, "/administration/people/import/")
    page.set_input_files("input[type=file]", files=[
        {"name": "staff.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    journey.submit(page, page.get_by_role("button", name="Preview the import"))
    assert "/administration/people/import/preview/" in page.url
    assert "Philippa Montgomery-Fairweather" in main_text(page)
    assert_reflows(page, check_page, "/administration/people/import/preview/")


def test_following_an_action_link_from_a_list_puts_the_focus_on_the_action_s_form(raise_escalation, journey):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-800800")
    page = journey.sign_in("bexley-team-manager")
    journey.visit(page, "/escalations/awaiting/")
    page.get_by_role("link", name="Record a decision (LCS-800800)").click()
    page.wait_for_url(f"**/escalations/{escalation.pk}/**")
    inside = page.evaluate("() => !!document.activeElement.closest('#action-respond')")
    assert inside, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    assert page.locator("#action-respond[open]").count(), "the action's form is unfolded"


def styled_with_a_way_back(page) -> None:
    assert page.locator("link[rel=stylesheet]").count(), "the error page has the site's styles"
    assert page.locator("h1.govuk-heading-l, h1.govuk-heading-xl").count(), "it says what happened in a heading"
    assert page.locator("main a[href]").count(), "it offers a way on"


def test_a_refused_page_says_what_happened_and_where_to_go(people, journey, check_page):
    page = journey.sign_in("bexley-practitioner")
    response = page.goto("/escalations/psw-overview/")  # the PSW's page
    assert response.status == 403
    styled_with_a_way_back(page)
    check_page(page)


def test_a_missing_page_says_what_happened_and_where_to_go(people, journey, check_page):
    page = journey.sign_in("bexley-practitioner")
    response = page.goto("/escalations/999999/")
    assert response.status == 404
    styled_with_a_way_back(page)
    check_page(page)


# Every menu there is: each role's items, as the navigation template gives them.
ORGANISATION = ["My escalations", "Awaiting me", "Raise", "Absences"]
MENUS = {
    "bexley-practitioner": ORGANISATION,
    "puddleducks-practitioner": ORGANISATION,
    "bexley-team-manager": [*ORGANISATION, "Figures"],
    "bexley-director": [*ORGANISATION, "Figures"],
    "bexley-psw": [*ORGANISATION, "Overview", "Systemic issues", "Access log", "Figures", "Reports"],
    "wiltshire-qap-chair": ["Board log", "Reports"],
    "wiltshire-board-member": ["Reports"],
    "bexley-org-admin": ["Administration", "Staff", "Import from HR", "Absences", "Webhooks", "API tokens",
                         "Settings", "Ladders", "Audit log"],
    "wiltshire-partnership-admin": ["Administration", "Board", "Ladders", "Audit log"],
}
MENU = """() => { const list = document.querySelector('.govuk-service-navigation__list');
  const box = list.closest('.govuk-width-container').getBoundingClientRect();
  return [...list.querySelectorAll('.govuk-service-navigation__item')].map(item => {
    const r = item.getBoundingClientRect();
    return {text: item.querySelector('a').firstChild.textContent.trim(), top: r.top, right: r.right, room: box.right,
            inside: r.left >= box.left && r.right <= box.right}; }) }"""


@pytest.mark.parametrize("username", list(MENUS))
def test_the_menu_is_one_line_at_1280_pixels(username, people, journey):
    if username == "wiltshire-partnership-admin":
        from tests.factories import administrator_create

        administrator_create(username=username, partnership="wiltshire-partnership")
    page = journey.sign_in(username)
    assert page.viewport_size == WIDE
    items = page.evaluate(MENU)
    assert [item["text"] for item in items] == MENUS[username]
    assert len({item["top"] for item in items}) == 1, items
    assert all(item["inside"] for item in items), items
    expect(page.locator(".govuk-service-navigation__toggle")).to_be_hidden()  # no "Menu" button at 1280 px
