"""A whole journey by keyboard alone (WCAG 2.1.1), with where the focus is asserted after each navigation:
the team manager signs in, finds the disagreement awaiting her, records her decision; the practitioner
accepts it. No mouse: only Tab, Shift+Tab, Space, Enter and typing."""
import re

import pytest

from tests.browser.steps import main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => { const e = document.activeElement; return e ? {tag: e.tagName.toLowerCase(), id: e.id || '',
    name: e.getAttribute('name') || '', type: e.getAttribute('type') || '', value: e.value || '',
    text: (e.innerText || e.getAttribute('aria-label') || '').trim().slice(0, 120),
    inAction: e.closest('.app-action') ? e.closest('.app-action').id : ''} : null }"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, matches, limit: int = 120) -> dict:
    """Press Tab until the focused element matches; fail if it never does (unreachable by keyboard)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now and matches(now):
            return now
    raise AssertionError(f"Not reachable by Tab on {page.url}")


def assert_fresh_page_focus(page) -> None:
    """After a navigation the focus starts at the top: on the page, and the first Tab reaches the skip link."""
    assert focused(page)["tag"] == "body", focused(page)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content", focused(page)


def sign_in_by_keyboard(journey, username: str):
    page = journey.new_page()
    page.goto("/sign-in/")
    journey.check(page)
    assert focused(page)["id"] == "id_username"  # the sign-in page puts the focus where typing starts
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_password"
    page.keyboard.type("demo-pass-2026")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=user-bar]")
    journey.check(page)
    assert_fresh_page_focus(page)
    return page


def follow_by_keyboard(journey, page, matches) -> None:
    tab_to(page, matches)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    journey.check(page)


def test_a_decision_and_its_acceptance_by_keyboard_alone(raise_escalation, journey):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-700700")

    # The team manager lands on her list; the skip link takes her to the content.
    page = sign_in_by_keyboard(journey, "bexley-team-manager")
    assert "/escalations/awaiting/" in page.url
    page.keyboard.press("Enter")  # the skip link, focused by the first Tab
    assert focused(page)["id"] == "main-content"

    # The row's action link opens the escalation with the decision form unfolded.
    follow_by_keyboard(journey, page, lambda e: e["text"].startswith("Record a decision") and "LCS-700700" in e["text"])
    assert f"/escalations/{escalation.pk}/" in page.url and "open=respond" in page.url
    assert focused(page)["inAction"] == "action-respond", focused(page)  # on the unfolded form, not <body>

    # Her decision: the radios by Space and arrows, the rationale typed, the button by Enter.
    tab_to(page, lambda e: e["name"] == "respond-decision")
    page.keyboard.press("Space")
    if focused(page)["value"] != "agree":
        page.keyboard.press("ArrowDown") if focused(page)["value"] != "agree" else None
    assert focused(page)["value"] == "agree"
    tab_to(page, lambda e: e["name"] == "respond-rationale")
    page.keyboard.type("A strategy discussion will be held on Thursday.")
    tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Record decision")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    journey.check(page)
    assert "A strategy discussion will be held on Thursday." in page.inner_text("[data-testid=decision]")
    assert focused(page)["tag"] in ("body", "div", "main", "h1", "h2", "p"), focused(page)

    # Signing out by keyboard.
    tab_to(page, lambda e: e["tag"] == "button" and "Sign out" in e["text"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/sign-in/" in page.url
    assert focused(page)["id"] == "id_username"

    # The practitioner accepts the outcome, in writing, by keyboard.
    page = sign_in_by_keyboard(journey, "bexley-practitioner")
    follow_by_keyboard(journey, page, lambda e: e["tag"] == "a" and e["text"].startswith("Accept the outcome")
                       and "LCS-700700" in e["text"])
    tab_to(page, lambda e: e["name"] == "accept-agreed_outcome")
    page.keyboard.type("Strategy discussion on Thursday.")
    tab_to(page, lambda e: e["name"] == "accept-outstanding_actions")
    page.keyboard.type("The team manager reviews the plan after it.")
    tab_to(page, lambda e: e["tag"] == "button" and e["inAction"] == "action-accept")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    journey.check(page)
    shown = main_text(page)
    assert "Resolved" in shown and "Strategy discussion on Thursday." in shown
    assert re.search(r"resolved", shown, re.I)
