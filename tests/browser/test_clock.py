"""The clock in a real browser: an escalation on time, then, with time moved on past its deadline and the
sweep run, overdue (red) in the holder's list, on its page and in the holder's notifications."""
import datetime as dt

import pytest

from tests.browser.steps import main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_escalation_turns_red_when_its_deadline_passes_and_the_clock_runs(raise_escalation, journey, travel):
    from deadlines.sweep import deadlines_sweep

    escalation = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-555001")
    row = f'[data-escalation="{escalation.pk}"]'

    page = journey.sign_in("bexley-team-manager")
    journey.visit(page, "/escalations/awaiting/")
    assert page.locator(f"{row} [data-rag]").get_attribute("data-rag") in ("green", "amber")
    page.context.close()

    # Two hours past the stage's deadline, the beat's sweep runs.
    travel(escalation.stage_deadline + dt.timedelta(hours=2))
    result = deadlines_sweep()
    assert "deadline missed: notified" in result.summary()

    page = journey.sign_in("bexley-team-manager")
    journey.visit(page, "/escalations/awaiting/")
    rag = page.locator(f"{row} [data-rag]")
    assert rag.get_attribute("data-rag") == "red"
    assert rag.inner_text().strip() == "Overdue"
    journey.visit(page, f"/escalations/{escalation.pk}/")
    assert page.locator("main [data-rag=red]").count() >= 1
    assert "Deadline missed" in main_text(page)
    journey.visit(page, "/notifications/")
    assert "LCS-555001" in main_text(page)
