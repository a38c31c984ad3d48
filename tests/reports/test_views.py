"""The themes report pages, their exports and the API: who may read them and what they contain."""
import csv
import io

import pytest
from django.urls import reverse

from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- access --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["wiltshire-board-member", "wiltshire-qap-chair", "bexley-psw"])
def test_board_users_and_psws_may_read_the_report(client, people, username):
    response = signed_in(client, people[username]).get(reverse("reports:themes"))
    assert response.status_code == 200


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-director", "puddleducks-owner"])
def test_everybody_else_is_refused(client, people, username):
    client = signed_in(client, people[username])
    assert client.get(reverse("reports:themes")).status_code == 403
    assert client.get(reverse("reports:themes_csv"), {"table": "summary"}).status_code == 403
    assert client.get(reverse("reports:themes_print")).status_code == 403
    assert client.get("/api/v1/reports/themes/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("reports:themes"))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_a_board_member_may_not_read_another_partnership(client, people):
    client = signed_in(client, people["wiltshire-board-member"])
    assert client.get(reverse("reports:themes"), {"partnership": "bristol-partnership"}).status_code == 403
    assert client.get(reverse("reports:themes"), {"partnership": "no-such-partnership"}).status_code == 404
    assert client.get(reverse("reports:themes"), {"organisation": "wiltshire"}).status_code == 403
    assert client.get("/api/v1/reports/themes/", {"partnership": "bristol-partnership"}).status_code == 403


def test_a_psw_may_not_read_another_organisation(client, people):
    client = signed_in(client, people["bexley-psw"])
    assert client.get(reverse("reports:themes"), {"organisation": "stoke"}).status_code == 403
    assert client.get(reverse("reports:themes"), {"organisation": "nowhere"}).status_code == 404
    assert client.get(reverse("reports:themes"), {"partnership": "wiltshire-partnership"}).status_code == 403
    assert client.get(reverse("reports:themes_csv"), {"organisation": "stoke", "table": "summary"}).status_code == 403


def test_naming_ones_own_partnership_is_allowed(client, people):
    response = signed_in(client, people["wiltshire-qap-chair"]).get(
        reverse("reports:themes"), {"partnership": "wiltshire-partnership"})
    assert response.status_code == 200


# --- the page ------------------------------------------------------------------------------------------
def test_page_shows_tables_and_accessible_charts(client, people, bexley_set):
    response = signed_in(client, people["bexley-psw"]).get(reverse("reports:themes"), PERIOD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Escalations raised from 1 October 2026 to 30 November 2026" in html
    for chart in ("chart-categories", "chart-raising", "chart-receiving", "chart-trend", "chart-timescales"):
        assert f'data-testid="{chart}"' in html
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html
    assert html.count('role="img"') >= 5
    assert '<table class="govuk-table app-report-table" data-table="categories">' in html
    assert "<script src=\"http" not in html  # no CDN


def test_the_chart_draws_the_same_figures_as_its_table(client, people, bexley_set):
    html = signed_in(client, people["bexley-psw"]).get(reverse("reports:themes"), PERIOD).content.decode()
    chart = html[html.index('data-testid="chart-categories"'):]
    chart = chart[:chart.index("</svg>")]
    assert "<title>The need for action: 3</title>" in chart
    assert "<title>Level of need: 1</title>" in chart


def test_bad_dates_answer_400_naming_the_field(client, people):
    client = signed_in(client, people["bexley-psw"])
    response = client.get(reverse("reports:themes"), {"from": "2026-13-01"})
    assert response.status_code == 400
    assert "The start of the period must be a real date, like 2026-04-01." in response.content.decode()
    assert "2026-13-01" not in response.content.decode().split("error-summary", 1)[1].split("</div>", 1)[0]
    response = client.get(reverse("reports:themes"), {"from": "2026-11-30", "to": "2026-11-01"})
    assert response.status_code == 400
    assert "The end of the period must be on or after its start" in response.content.decode()


def test_board_page_explains_suppression(client, people):
    html = signed_in(client, people["wiltshire-board-member"]).get(reverse("reports:themes")).content.decode()
    assert 'data-testid="suppression-notice"' in html
    assert "fewer than 5" in html


def test_printable_page_has_the_whole_report_without_navigation(client, people, bexley_set):
    response = signed_in(client, people["bexley-psw"]).get(reverse("reports:themes_print"), PERIOD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-header__navigation" not in html
    assert "css/print.css" in html
    for title in ("Summary", "Escalations by category of disagreement", "Where challenge may be missing",
                  "Escalations by month", "Working days to resolution against each procedure&#x27;s timescale"):
        assert title in html
    assert "Download this table as CSV" not in html


# --- CSV -----------------------------------------------------------------------------------------------
def test_csv_of_a_table_has_its_header_and_rows(client, people, bexley_set):
    response = signed_in(client, people["bexley-psw"]).get(
        reverse("reports:themes_csv"), {**PERIOD, "table": "categories"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="themes-bexley-categories-2026-10-01-to-2026-11-30.csv"' in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["Category", "Escalations"],
        ["The need for action", "3"],
        ["Communication", "2"],
        ["Level of need", "1"],
        ["Roles and responsibilities", "1"],
    ]


def test_csv_of_the_timescales(client, people, bexley_set):
    response = signed_in(client, people["bexley-psw"]).get(
        reverse("reports:themes_csv"), {**PERIOD, "table": "timescales"})
    assert csv_rows(response)[1] == [
        "Bexley internal escalation procedure", "4", "2.5 working days", "5 working days", "4 working days", "75%",
    ]


def test_board_csv_suppresses_small_counts(client, people, wiltshire_set):
    response = signed_in(client, people["wiltshire-board-member"]).get(
        reverse("reports:themes_csv"), {**PERIOD, "table": "agency-pairs"})
    assert csv_rows(response) == [
        ["Raised by \\ received by", "Puddleducks Nursery", "Wiltshire Council Children's Social Care"],
        ["Puddleducks Nursery", "0", "6"],
        ["Wiltshire Council Children's Social Care", "fewer than 5", "0"],
    ]


def test_every_table_of_the_page_downloads(client, people, bexley_set):
    from reports.selectors import report_period_parse, report_scope_for, themes_report

    client = signed_in(client, people["bexley-psw"])
    report = themes_report(scope=report_scope_for(user=people["bexley-psw"]), period=report_period_parse(query=PERIOD))
    for name in report.table_names:
        response = client.get(reverse("reports:themes_csv"), {**PERIOD, "table": name})
        assert response.status_code == 200, name
        assert csv_rows(response)[0][0] == report.table(name).label_heading


def test_csv_of_an_unknown_table_answers_400_naming_the_field(client, people):
    response = signed_in(client, people["bexley-psw"]).get(reverse("reports:themes_csv"), {"table": "children"})
    assert response.status_code == 400
    assert response.content.decode().startswith("table: choose one of summary, categories")


def test_csv_cells_cannot_start_a_spreadsheet_formula():
    from reports.exports import table_csv
    from reports.figures import Row, Table, text_cell

    table = Table(name="t", title="T", label_heading="Category", columns=("x",),
                  rows=(Row(label="=HYPERLINK(\"http://x\")", cells=(text_cell("1"),)),))
    assert table_csv(table=table).splitlines()[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",1"


# --- API -----------------------------------------------------------------------------------------------
def test_api_returns_the_report_tables(client, people, bexley_set):
    response = signed_in(client, people["bexley-psw"]).get("/api/v1/reports/themes/", PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == {"kind": "organisation", "name": "London Borough of Bexley Children's Social Care"}
    assert body["period"] == {"start": "2026-10-01", "end": "2026-11-30"}
    assert body["small_counts_suppressed"] is False
    categories = next(t for t in body["tables"] if t["name"] == "categories")
    assert categories["rows"][0] == {"label": "The need for action",
                                     "cells": [{"value": 3, "text": "3", "suppressed": False}]}


def test_api_gives_board_users_no_number_for_a_small_count(client, people, wiltshire_set):
    body = signed_in(client, people["wiltshire-board-member"]).get("/api/v1/reports/themes/", PERIOD).json()
    assert body["small_counts_suppressed"] is True and body["small_count_threshold"] == 5
    categories = next(t for t in body["tables"] if t["name"] == "categories")
    assert {"label": "Communication", "cells": [{"value": None, "text": "fewer than 5", "suppressed": True}]} \
        in categories["rows"]


@pytest.mark.parametrize("query, field", [
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
    ({"from": "2010-01-01", "to": "2026-01-01"}, "from"),
])
def test_api_bad_dates_answer_400_with_the_field_and_reason(client, people, query, field):
    response = signed_in(client, people["bexley-psw"]).get("/api/v1/reports/themes/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0]


def test_api_is_in_the_openapi_schema(client, people):
    response = signed_in(client, people["bexley-psw"]).get("/api/schema/", {"format": "json"})
    schema = response.json()
    operation = schema["paths"]["/api/v1/reports/themes/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to"}


def test_a_bad_date_is_shown_on_its_field_and_linked_from_the_summary(client, people):
    response = signed_in(client, people["bexley-psw"]).get(reverse("reports:themes"), {"from": "2026-13-01"})
    html = response.content.decode()
    assert '<a href="#id_from">The start of the period must be a real date, like 2026-04-01.' in html
    assert 'id="id_from-error"' in html and 'type="date" value="2026-13-01"' in html
