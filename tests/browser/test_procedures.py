"""Each procedure's main path in a real browser: Stoke's informal stage, a skip and the overall deadline;
Wiltshire's multi-agency protocol with a board log and mediation; BS3's ladder into the partner agency; the
Bristol partnership's resolution panel of three agencies."""
import datetime as dt

import pytest

from tests.browser.steps import act, main_text, raise_escalation, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_stoke_informal_then_a_skip_with_its_reason_then_the_overall_deadline_missed(people, journey):
    from deadlines.sweep import deadlines_sweep
    from escalations.models import Escalation

    # The conference and review manager raises; the informal stage is the team manager's, with the social worker.
    page = journey.sign_in("stoke-crm")
    escalation = raise_escalation(journey, page, ladder="stoke-crm", reference="ST-700001",
                                  new_allocated_worker="stoke-social-worker")
    journey.visit(page, escalation)
    summary = main_text(page)
    assert "Informal: Social Worker / Team Manager" in summary
    assert "Overall deadline" not in summary  # the 20 working days run from the first formal stage

    # Not resolved informally: the raiser goes straight to the Strategic Manager, and says why.
    act(journey, page, "skip", to_stage="2", reason="The service manager chaired the conference.")
    shown = main_text(page)
    assert "Stage 2: Strategic Manager" in shown
    assert "The service manager chaired the conference." in shown
    assert "The formal process must finish by" in shown
    sign_out(page)

    # The 20 working days pass with no resolution: the clock records it, and the page says so.
    overall = Escalation.objects.get(case__reference="ST-700001").overall_deadline
    deadlines_sweep(now=overall + dt.timedelta(hours=1))
    page = journey.sign_in("stoke-social-worker")
    journey.visit(page, escalation)
    timeline = main_text(page)
    assert "Overall timescale missed" in timeline
    assert "20 working days" in timeline


def test_wiltshire_multi_agency_logged_with_the_board_and_mediated_to_an_agreement(people, journey):
    # The nursery's practitioner challenges the council's decision.
    page = journey.sign_in("puddleducks-practitioner")
    escalation = raise_escalation(journey, page, ladder="wiltshire-multi-agency", reference="PD-300001",
                                  receiving_organisation="Wiltshire Council")
    journey.visit(page, escalation)
    assert "Practitioner to practitioner" in main_text(page)

    # A serious concern, logged with the QA&P chair (Wiltshire 3a).
    act(journey, page, "log_with_board", kind="serious_concern",
        reason="Third referral this term with no strategy discussion.")
    assert "Logged with the board" in main_text(page)
    sign_out(page)

    # The council's social worker holds it, and starts mediation with the partnership's QA&P chair.
    page = journey.sign_in("wiltshire-social-worker")
    journey.visit(page, "/escalations/awaiting/")
    assert "PD-300001" in main_text(page)
    journey.visit(page, escalation)
    act(journey, page, "start_mediation", mediator="wiltshire-qap-chair")
    assert "In mediation" in main_text(page) or "in mediation" in main_text(page)
    sign_out(page)

    # The chair sees what is logged with the board, and ends the mediation with an agreement.
    page = journey.sign_in("wiltshire-qap-chair")
    journey.visit(page, "/escalations/board-logged/")
    assert "PD-300001" in main_text(page) or "Third referral" in main_text(page)
    journey.visit(page, escalation)
    act(journey, page, "end_mediation", agreed="yes", note="Both agencies met with the chair.",
        agreed_outcome="A joint strategy discussion on Monday.",
        outstanding_actions="The nursery shares its records by Friday.")
    shown = main_text(page)
    assert "Resolved" in shown
    assert "A joint strategy discussion on Monday." in shown


def test_bs3_from_the_nursery_s_lead_into_the_partner_agency_s_manager(people, journey):
    page = journey.sign_in("bs3-practitioner")
    escalation = raise_escalation(journey, page, ladder="bs3-nursery", reference="BS-400001",
                                  receiving_organisation="Bristol City Council")
    sign_out(page)

    # The designated safeguarding lead upholds the decision; the practitioner escalates to the nursery manager.
    for holder in ("bs3-designated-safeguarding-lead", "bs3-nursery-manager"):
        page = journey.sign_in(holder)
        journey.visit(page, escalation)
        act(journey, page, "respond", decision="uphold", rationale="The partner agency must decide.")
        sign_out(page)
        page = journey.sign_in("bs3-practitioner")
        journey.visit(page, escalation)
        act(journey, page, "escalate", reason="The child is still at risk.")
        sign_out(page)

    # Now with the partner agency's manager: Bristol's team manager finds it awaiting a response.
    page = journey.sign_in("bristol-team-manager")
    journey.visit(page, "/escalations/awaiting/")
    assert "BS-400001" in main_text(page)
    journey.visit(page, escalation)
    shown = main_text(page)
    assert "The partner agency's manager" in shown
    act(journey, page, "respond", decision="agree", rationale="A strategy discussion is booked.")
    assert "A strategy discussion is booked." in main_text(page)


def test_the_resolution_panel_of_three_agencies_is_convened_and_decides(people, journey):
    from tests.factories import bristol_third_agency, resolution_panel_for_test

    staff = bristol_third_agency()
    escalation = resolution_panel_for_test()
    path = f"/escalations/{escalation.pk}/"
    chair = staff["chair"].username

    page = journey.sign_in(chair)
    journey.visit(page, "/escalations/awaiting/")
    assert escalation.case.reference in main_text(page)
    journey.visit(page, path)
    members = {"bs3-nursery-manager": "bs3", "bristol-service-manager": "bristol",
               staff["third-lead"].username: "third"}
    from organisations.models import User

    form = page.locator("#action-convene_panel")
    member_ids = [str(User.objects.get(username=name).pk) for name in members]
    values = [form.locator('[name="convene_panel-members"]').nth(i).get_attribute("value")
              for i in range(form.locator('[name="convene_panel-members"]').count())]
    chosen = [v for v in values if v in member_ids] or list(members)
    day = dt.date.today() + dt.timedelta(days=7)
    act(journey, page, "convene_panel", members=chosen, panel_day=str(day.day), panel_month=str(day.month),
        panel_year=str(day.year), panel_time="10am")
    shown = main_text(page)
    assert "Panel convened" in shown
    for name in members:
        assert User.objects.get(username=name).get_full_name() in shown

    # The panel decides; the chair records it in writing.
    act(journey, page, "respond", decision="agree", rationale="The panel asks for a strategy discussion.")
    assert "The panel asks for a strategy discussion." in page.inner_text("[data-testid=decision]")
