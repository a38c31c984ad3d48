"""Every figure of the themes report, against hand-built escalations with known answers."""
import datetime as dt

import pytest

from reports.selectors import ReportPeriod, report_scope_for, themes_report
from tests.reports.conftest import NOW

pytestmark = pytest.mark.django_db

OCT_NOV = ReportPeriod(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 30))
BEXLEY_LADDER = "Bexley internal escalation procedure"
WILTSHIRE_LADDER = "Wiltshire case resolution protocol (multi-agency)"


def column(table, index=0):
    return {row.label: row.cells[index].text for row in table.rows}


@pytest.fixture
def bexley_report(bexley_set, people):
    scope = report_scope_for(user=people["bexley-psw"])
    return themes_report(scope=scope, period=OCT_NOV, now=NOW)


@pytest.fixture
def board_report(wiltshire_set, people):
    scope = report_scope_for(user=people["wiltshire-board-member"])
    return themes_report(scope=scope, period=OCT_NOV, now=NOW)


# --- the PSW's report: exact counts for their own organisation ----------------------------------------
def test_summary_counts_the_escalations_raised_in_the_period_only(bexley_report):
    summary = column(bexley_report.table("summary"))
    assert summary["Escalations raised"] == "7"  # not the September one, not Stoke's
    assert summary["Resolved"] == "4"
    assert summary["Withdrawn"] == "1"
    assert summary["Still live"] == "2"


def test_overdue_now_counts_the_live_escalation_past_its_stage_deadline(bexley_report):
    assert column(bexley_report.table("summary"))["Overdue now"] == "1"


def test_stuck_counts_the_escalation_open_longer_than_the_whole_ladder(bexley_report):
    """E5 was raised on 9 November: 15 working days by the 30th, against Bexley's 4; E6 is a day old."""
    summary = column(bexley_report.table("summary"))
    assert summary["Stuck: in mediation, or open longer than the whole procedure's timescale"] == "1"


def test_clock_advances_and_reopenings_are_counted(bexley_report):
    summary = column(bexley_report.table("summary"))
    assert summary["Advanced by the clock at least once"] == "1"
    assert summary["Reopened at least once"] == "1"


def test_categories_are_counted_by_their_labels(bexley_report):
    assert column(bexley_report.table("categories")) == {
        "The need for action": "3", "Communication": "2", "Level of need": "1", "Roles and responsibilities": "1",
    }


def test_risk_levels_list_every_level_with_zero_where_none(bexley_report):
    assert column(bexley_report.table("risk-levels")) == {
        "Standard": "6", "Undue or immediate risk of significant harm": "1", "Imminent risk of significant harm": "0",
    }


def test_raising_and_receiving_organisations(bexley_report):
    assert column(bexley_report.table("raising-organisations")) == {
        "London Borough of Bexley Children's Social Care": "7"
    }
    assert column(bexley_report.table("receiving-organisations")) == {
        "The raising organisation itself (single-agency procedure)": "7"
    }


def test_resolution_stage_counts_where_each_resolved_escalation_ended(bexley_report):
    assert column(bexley_report.table("resolution-stages")) == {
        f"{BEXLEY_LADDER}: stage 0, Team Manager": "2",
        f"{BEXLEY_LADDER}: stage 1, Service Manager": "2",
    }


def test_informal_and_formal_split_at_stage_one(bexley_report):
    table = bexley_report.table("informal-formal")
    informal, formal = (row.label for row in table.rows)
    assert [c.text for c in table.rows[0].cells] == ["4", "2", "3 working days"]  # E1 (1) and E3 (5)
    assert [c.text for c in table.rows[1].cells] == ["3", "2", "2.5 working days"]  # E2 (3) and E7 (2)
    assert informal.startswith("Informal") and formal.startswith("Formal")


def test_working_days_to_resolution_median_and_90th_percentile(bexley_report):
    """Resolved after 1, 2, 3 and 5 working days: median 2.5; nearest-rank 90th percentile 5."""
    timescales = bexley_report.table("timescales")
    assert timescales.cell(BEXLEY_LADDER, "Resolved").value == 4
    assert timescales.cell(BEXLEY_LADDER, "Median").value == 2.5
    assert timescales.cell(BEXLEY_LADDER, "90th percentile").value == 5
    assert timescales.cell(BEXLEY_LADDER, "90th percentile").text == "5 working days"


def test_target_is_the_sum_of_the_ladders_ordinary_stages(bexley_report):
    """Four stages of one working day; the Director's exceptional stage is entered only after a final decision."""
    assert bexley_report.table("timescales").cell(BEXLEY_LADDER, "Timescale").text == "4 working days"


def test_share_resolved_within_timescale(bexley_report):
    """Three of four within 4 working days (E3 took 5)."""
    timescales = bexley_report.table("timescales")
    assert timescales.cell(BEXLEY_LADDER, "Resolved within timescale").text == "75%"
    assert timescales.cell("All procedures", "Resolved within timescale").value == 75
    assert column(bexley_report.table("summary"))["Resolved within the procedure's timescale"] == "75%"


def test_overall_working_days_is_the_target_where_the_ladder_sets_it(people, raise_escalation, travel):
    from escalations import services
    from tests.conftest import at

    travel(at(2026, 11, 2, 10, 0))
    esc = raise_escalation("stoke-crm", "stoke-crm", category="visits-late", now=at(2026, 11, 2, 10, 0))
    esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Agreed.")
    services.escalation_accept(escalation=esc, actor=people["stoke-crm"], agreed_outcome="Done.",
                               outstanding_actions="None.")
    report = themes_report(scope=report_scope_for(user=people["stoke-psw"]), period=OCT_NOV, now=NOW)
    ladder = "Stoke-on-Trent child protection case dispute escalation"
    assert report.table("timescales").cell(ladder, "Timescale").text == "20 working days"


def test_monthly_trend_counts_raised_and_resolved_per_month(bexley_report):
    trend = bexley_report.table("trend")
    assert [row.label for row in trend.rows] == ["Oct 2026", "Nov 2026"]
    assert [c.text for c in trend.rows[0].cells] == ["1", "1"]
    assert [c.text for c in trend.rows[1].cells] == ["6", "3"]


def test_per_100_staff_rate_uses_the_recorded_staff_number(bexley_set, people):
    from organisations.models import Organisation

    Organisation.objects.filter(slug="bexley").update(active_staff=350)
    report = themes_report(scope=report_scope_for(user=people["bexley-psw"]), period=OCT_NOV, now=NOW)
    table = report.table("missing-challenge")
    row = "London Borough of Bexley Children's Social Care"
    assert table.cell(row, "Staff").text == "350"
    assert table.cell(row, "Escalations raised").text == "7"
    assert table.cell(row, "Per 100 staff").value == 2.0


def test_psw_sees_exact_small_counts(bexley_report):
    assert not bexley_report.suppression.active
    assert column(bexley_report.table("categories"))["Level of need"] == "1"


# --- the board's report: a partnership, small counts suppressed ----------------------------------------
def test_board_sees_the_whole_partnership(board_report):
    assert board_report.scope_name == "Wiltshire Safeguarding Children Partnership"
    assert column(board_report.table("summary"))["Escalations raised"] == "8"


def test_board_small_counts_read_fewer_than_five_and_carry_no_number(board_report):
    categories = board_report.table("categories")
    assert column(categories) == {"Level of need": "6", "Communication": "fewer than 5"}
    hidden = categories.cell("Communication", "Escalations")
    assert hidden.value is None and hidden.suppressed


def test_zero_is_shown_as_zero_to_the_board(board_report):
    assert column(board_report.table("risk-levels"))["Imminent risk of significant harm"] == "0"


def test_agency_pair_matrix(board_report):
    pairs = board_report.table("agency-pairs")
    wiltshire, puddleducks = "Wiltshire Council Children's Social Care", "Puddleducks Nursery"
    assert pairs.columns == (puddleducks, wiltshire)
    assert pairs.cell(puddleducks, wiltshire).text == "6"
    assert pairs.cell(wiltshire, puddleducks).text == "fewer than 5"
    assert pairs.cell(puddleducks, puddleducks).text == "0"


def test_board_statistics_on_fewer_than_five_resolved_are_withheld(board_report):
    timescales = board_report.table("timescales")
    median = timescales.cell(WILTSHIRE_LADDER, "Median")
    assert median.text == "fewer than 5 resolved" and median.value is None
    assert timescales.cell(WILTSHIRE_LADDER, "Resolved within timescale").value is None


def test_the_threshold_is_configurable(wiltshire_set, people, settings):
    """With a threshold of 3, the three resolved escalations are enough: 1, 2, 3 days, median 2, p90 3."""
    settings.REPORT_SMALL_COUNT_THRESHOLD = 3
    report = themes_report(scope=report_scope_for(user=people["wiltshire-qap-chair"]), period=OCT_NOV, now=NOW)
    timescales = report.table("timescales")
    assert timescales.cell(WILTSHIRE_LADDER, "Median").value == 2
    assert timescales.cell(WILTSHIRE_LADDER, "90th percentile").value == 3
    assert timescales.cell(WILTSHIRE_LADDER, "Timescale").text == "20 working days"
    assert timescales.cell(WILTSHIRE_LADDER, "Resolved within timescale").text == "100%"
    assert column(report.table("categories"))["Communication"] == "fewer than 3"


def test_missing_challenge_rates_per_100_staff_and_marks_organisations_that_raised_none(board_report):
    table = board_report.table("missing-challenge")
    assert [row.label for row in table.rows] == [
        "Puddleducks Nursery", "Wiltshire Council Children's Social Care", "Wiltshire Police",
    ]
    assert table.cell("Puddleducks Nursery", "Per 100 staff").text == "15.0"  # 6 per 40 staff
    assert table.cell("Puddleducks Nursery", "Marked").text == ""
    police = "Wiltshire Police"
    assert table.cell(police, "Escalations raised").text == "0"
    assert table.cell(police, "Per 100 staff").text == "0.0"
    assert table.cell(police, "Marked").text == "Raised none: is challenge missing?"


def test_a_suppressed_count_gives_only_an_upper_bound_for_its_rate(board_report):
    """Wiltshire raised 2 with no staff number recorded: its 4 active users count, and the rate reads
    'under 125.0' (5 per 4 staff) so that the exact count cannot be worked back."""
    table = board_report.table("missing-challenge")
    wiltshire = "Wiltshire Council Children's Social Care"
    assert table.cell(wiltshire, "Staff").text == "4"
    assert table.cell(wiltshire, "Staff counted from").text == "active user accounts"
    assert table.cell(wiltshire, "Escalations raised").text == "fewer than 5"
    assert table.cell(wiltshire, "Per 100 staff").text == "under 125.0"


def test_stuck_counts_escalations_in_mediation(wiltshire_set, people, django_user_model):
    """An administrator reads exact counts: one of the eight is in mediation, none is older than 20 working days."""
    from escalations import services

    escalation = wiltshire_set[-1]
    services.escalation_start_mediation(escalation=escalation, actor=escalation.holder,
                                        mediator=people["wiltshire-qap-chair"])
    admin = django_user_model.objects.create_superuser("report-admin", "ra@example.org", "x-long-pass-2026")
    report = themes_report(scope=report_scope_for(user=admin, partnership="wiltshire-partnership"),
                           period=OCT_NOV, now=NOW)
    summary = column(report.table("summary"))
    assert summary["Stuck: in mediation, or open longer than the whole procedure's timescale"] == "1"
