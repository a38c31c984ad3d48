"""The people who run and watch the work, in a real browser: an organisation administrator setting up (staff
imported from a CSV, a closure day) and then the absence of one of the imported staff;
the PSW's overview and systemic register; and the board's report, with no child's data on the page or its CSVs."""
import datetime as dt

import pytest

from tests.browser.steps import fill, main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF_CSV = (
    "name,email,role,team,line_manager_email\n"
    "Nia Starter,nia.starter@example.org,social_worker,,bexley-team-manager@example.org\n"
    "Omar Newton,omar.newton@example.org,team_manager,,bexley-service-manager@example.org\n"
)


def test_the_organisation_administrator_imports_staff_and_adds_a_closure_day_then_an_absence_is_recorded(people,
                                                                                                        journey):
    from tests.factories import administrator_create

    administrator_create(username="bexley-administrator", organisation="bexley")
    page = journey.sign_in("bexley-administrator")
    assert "/administration/" in page.url

    # Staff from the HR system's CSV: previewed, then applied.
    journey.visit(page, "/administration/people/import/")
    page.set_input_files("input[type=file]", files=[
        {"name": "staff.csv", "mimeType": "text/csv", "buffer": STAFF_CSV.encode()}])
    journey.submit(page, page.get_by_role("button", name="Preview the import"))
    preview = main_text(page)
    assert "Nia Starter" in preview and "Omar Newton" in preview
    journey.submit(page, page.get_by_role("button", name="Apply the import"))
    journey.visit(page, "/administration/people/")
    people_page = main_text(page)
    assert "Nia Starter" in people_page and "Omar Newton" in people_page

    # A closure day: the clock does not count it.
    closure = dt.date.today().replace(month=12, day=29) + dt.timedelta(days=365)
    journey.visit(page, "/administration/closure-days/")
    fill(page, page, {"date": closure.strftime("%d/%m/%Y"), "reason": "Council closure between Christmas and New Year"})
    journey.submit(page, page.get_by_role("button", name="Add the closure day"))
    days = main_text(page)
    assert "Council closure between Christmas and New Year" in days
    assert f"{closure.day} December {closure.year}" in days

    # An absence: Omar Newton, imported a moment ago, is away; the administrator records it for him.
    start = dt.date.today() + dt.timedelta(days=14)
    end = start + dt.timedelta(days=5)
    page.get_by_role("link", name="Absences").first.click()
    journey.check(page)
    journey.visit(page, "/absences/new/")
    fill(page, page, {"person": "Omar Newton", "starts_day": start.day, "starts_month": start.month,
                      "starts_year": start.year, "ends_day": end.day, "ends_month": end.month, "ends_year": end.year})
    journey.submit(page, page.locator("main button[type=submit]"))
    assert "Omar Newton's absence is recorded" in main_text(page)
    assert "/absences/" in page.url and "Omar Newton" in main_text(page)


def test_the_psw_reads_the_overview_and_records_a_systemic_issue(demo, journey):
    from escalations.models import Escalation

    page = journey.sign_in("stoke-psw")
    assert "/escalations/psw-overview/" in page.url
    overview = main_text(page)
    assert "DEMO-ST-" in overview or page.locator("[data-figure]").count()

    journey.visit(page, "/escalations/systemic-issues/")
    assert page.locator("main a[href*='/escalations/systemic-issues/']").count() >= 1
    journey.visit(page, "/escalations/systemic-issues/new/")
    related = Escalation.objects.filter(ladder__slug="stoke-crm", case__reference__startswith="DEMO-").first()
    fill(page, page, {"kind": "bureaucracy", "title": "Conference minutes reach partners late",
                      "description": "Minutes take three weeks, so disputes start without them.",
                      "owner": "stoke-psw", "escalations": str(related.pk)})
    journey.submit(page, page.get_by_role("button", name="Record the issue"))
    issue = main_text(page)
    assert "Conference minutes reach partners late" in issue
    assert related.case.reference in issue or f"{related.pk}" in issue
    journey.visit(page, "/escalations/systemic-issues/")
    assert "Conference minutes reach partners late" in main_text(page)


def test_the_board_s_report_shows_no_child_s_data_on_the_page_or_in_its_csvs(demo, journey):
    from cases.models import Case
    from escalations.models import Escalation

    secrets = set(Case.objects.values_list("reference", flat=True))
    secrets |= {name for name in Case.objects.values_list("display_name", flat=True) if len(name or "") > 3}
    for concern, desired, challenged in Escalation.objects.values_list("concern", "desired_outcome",
                                                                       "decision_challenged"):
        secrets |= {text for text in (concern, desired, challenged) if len(text) > 20}
    assert secrets

    page = journey.sign_in("wiltshire-board-member")
    assert "/reports/" in page.url
    assert page.locator("main svg[role=img]").count()
    html = page.content()
    assert [s for s in secrets if s in html] == []

    links = [a.get_attribute("href") for a in page.locator("main a[download]").all()]
    assert links, "the report offers its tables as CSV"
    for link in links:
        response = page.request.get(link)
        assert response.ok and "text/csv" in response.headers["content-type"], link
        body = response.text()
        assert body.count("\n") >= 1
        assert [s for s in secrets if s in body] == [], link
    journey.visit(page, "/reports/print/")
    assert [s for s in secrets if s in page.content()] == []
