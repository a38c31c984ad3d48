"""Board users never receive a child's reference or name, nor a practitioner's name, in any form."""
import json

import pytest
from django.urls import reverse

from cases.models import Case
from organisations.models import User
from reports.selectors import report_period_default, report_scope_for, themes_report

pytestmark = pytest.mark.django_db


def _everything_the_reader_receives(client, user) -> dict[str, str]:
    """The page, the printable page, every CSV file and the JSON, for the default period."""
    client.force_login(user)
    received = {
        "page": client.get(reverse("reports:themes")).content.decode(),
        "print": client.get(reverse("reports:themes_print")).content.decode(),
        "api": json.dumps(client.get("/api/v1/reports/themes/").json(), ensure_ascii=False),
    }
    report = themes_report(scope=report_scope_for(user=user), period=report_period_default())
    for name in report.table_names:
        response = client.get(reverse("reports:themes_csv"), {"table": name})
        assert response.status_code == 200
        received[f"csv {name}"] = response.content.decode()
    return received


def _secrets(*, reader) -> list[str]:
    """Every case reference and display name, and every person's username and full name but the reader's
    (the page's header names the person signed in)."""
    secrets = []
    for reference, display_name in Case.objects.values_list("reference", "display_name"):
        secrets += [reference, display_name] if display_name else [reference]
    for person in User.objects.exclude(pk=reader.pk):
        secrets.append(person.username)
        if person.get_full_name():
            secrets.append(person.get_full_name())
    return secrets


@pytest.mark.parametrize("username", ["wiltshire-board-member", "wiltshire-qap-chair"])
def test_board_users_receive_no_reference_display_name_or_person(client, demo, username):
    reader = User.objects.get(username=username)
    received = _everything_the_reader_receives(client, reader)
    assert "fewer than 5" in received["page"]  # the demo partnership is small: its counts are suppressed
    secrets = _secrets(reader=reader)
    assert len(secrets) > 40
    leaks = [(where, secret) for where, text in received.items() for secret in secrets if secret in text]
    assert leaks == []


def test_the_readers_own_name_appears_only_in_the_page_header(client, demo):
    reader = User.objects.get(username="wiltshire-board-member")
    received = _everything_the_reader_receives(client, reader)
    assert reader.get_full_name() in received["page"]
    assert all(reader.get_full_name() not in text for where, text in received.items() if where != "page")


def test_a_psws_report_is_aggregates_only_too(client, demo):
    reader = User.objects.get(username="bexley-psw")
    received = _everything_the_reader_receives(client, reader)
    assert "London Borough of Bexley" in received["page"]
    leaks = [(where, s) for where, text in received.items() for s in _secrets(reader=reader) if s in text]
    assert leaks == []


def test_the_report_structure_holds_only_labels_and_figures(demo):
    """Nothing in a report is a model instance: only tables of text labels and cells of numbers and words."""
    from reports.figures import Cell, Row, Table

    reader = User.objects.get(username="wiltshire-board-member")
    report = themes_report(scope=report_scope_for(user=reader), period=report_period_default())
    for table in report.tables:
        assert type(table) is Table
        for row in table.rows:
            assert type(row) is Row and type(row.label) is str
            for cell in row.cells:
                assert type(cell) is Cell
                assert cell.value is None or type(cell.value) in (int, float)
                assert type(cell.text) is str


def test_a_suppressed_cell_keeps_no_number():
    from reports.figures import Suppression, count_cell

    cell = count_cell(3, Suppression(active=True, threshold=5))
    assert (cell.value, cell.text, cell.suppressed) == (None, "fewer than 5", True)
    assert count_cell(0, Suppression(active=True, threshold=5)).text == "0"
    assert count_cell(5, Suppression(active=True, threshold=5)).text == "5"
