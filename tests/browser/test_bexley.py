"""Bexley's internal procedure in a real browser: the standard path from raising to a written outcome, and an
imminent risk, which shows the emergency contacts before anything else."""
import re

import pytest

from tests.browser.steps import act, fill, main_text, raise_escalation, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bexley_standard_raised_answered_and_accepted_with_a_written_outcome(people, journey):
    page = journey.sign_in("bexley-practitioner")
    assert "Sam Whitfield" in page.inner_text("[data-testid=user-bar]")
    escalation = raise_escalation(journey, page, ladder="bexley-internal", reference="LCS-900001",
                                  category="need-for-action")
    confirmation = page.inner_text("[data-testid=who-and-when]")
    assert "Grace Mensah" in confirmation and "5pm on" in confirmation
    sign_out(page)

    # The team manager finds it awaiting a response and agrees, with reasons.
    page = journey.sign_in("bexley-team-manager")
    journey.visit(page, "/escalations/awaiting/")
    assert "LCS-900001" in page.inner_text("[data-testid=escalation-list]")
    journey.visit(page, escalation)
    act(journey, page, "respond", decision="agree", rationale="A strategy discussion will be held tomorrow.")
    assert "A strategy discussion will be held tomorrow." in page.inner_text("[data-testid=decision]")
    sign_out(page)

    # The practitioner accepts, with the written outcome, and prints the record.
    page = journey.sign_in("bexley-practitioner")
    journey.visit(page, escalation)
    act(journey, page, "accept", agreed_outcome="Strategy discussion on Thursday.",
        outstanding_actions="The team manager reviews the plan after it.")
    assert "Resolved" in main_text(page)
    journey.visit(page, escalation + "record/")
    record = main_text(page)
    assert "Strategy discussion on Thursday." in record
    assert "The team manager reviews the plan after it." in record
    assert "LCS-900001" in record


def test_bexley_imminent_risk_shows_the_emergency_contacts_before_the_form(people, journey):
    page = journey.sign_in("bexley-practitioner")
    journey.visit(page, "/escalations/raise/")
    page.check("input[name=ladder][value=bexley-internal]")
    page.check("input[name=risk_level][value=imminent]")
    journey.submit(page, page.get_by_role("button", name="Continue"))
    contacts = page.inner_text("[data-testid=emergency-contacts]")
    assert "999" in contacts
    assert page.locator("[name=concern]").count() == 0  # the form comes only after the contacts

    # Only after the contacts: on to the form; the imminent escalation is held at once and answered today.
    journey.submit(page, page.get_by_role("button", name="I have read this: continue"))
    fill(page, page, {"new_reference": "LCS-900002", "decision_challenged": "No strategy meeting held.",
                      "concern": "The child said she is afraid to go home.", "basis": "evidence",
                      "desired_outcome": "A strategy discussion today."})
    page.locator("[name=category]").select_option(index=1)
    journey.submit(page, page.get_by_role("button", name="Raise the disagreement"))
    confirmation = page.inner_text("[data-testid=who-and-when]")
    assert "Diane Okafor" in confirmation and "Director of Children's Services" in main_text(page)
    assert re.search(r"\d{1,2}(:\d\d)?(am|pm)", confirmation), confirmation
