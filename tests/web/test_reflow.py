"""Reflow (WCAG 1.4.10): at 320 CSS pixels no page scrolls sideways. Below the tablet width every table is a
stack of cards, each cell under its column's name (``data-label``), and no select outgrows its column.

The browser's own measure of the width is in tests/browser; these check what the pages send."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from organisations.models import User
from tests.conftest import at

pytestmark = pytest.mark.django_db

CSS = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()


class Cells(HTMLParser):
    """Every body cell of every table: (tag, its data-label or None, whether it spans the row)."""

    def __init__(self):
        super().__init__()
        self.in_body = 0
        self.cells: list[tuple[str, str | None, bool]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tbody":
            self.in_body += 1
        elif self.in_body and tag in ("td", "th"):
            self.cells.append((tag, attributes.get("data-label"), "colspan" in attributes))

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body -= 1


def _cells(page: str) -> list[tuple[str, str | None, bool]]:
    parser = Cells()
    parser.feed(page)
    return parser.cells


def test_the_style_sheet_stacks_tables_and_keeps_selects_inside_below_the_tablet_width():
    narrow = CSS[CSS.index("@media screen and (max-width: 40.0525em)"):]
    assert re.search(r"\.govuk-table__row,[^{]*\{[^}]*display: block", narrow)
    assert "content: attr(data-label)" in narrow
    assert re.search(r"\.govuk-select, \.govuk-input \{ max-width: 100%; \}", CSS)
    assert "clip-path: inset(50%)" in narrow  # the column headings stay for screen readers, off screen


# Every page with a table, as the person who sees it.
PAGES = [
    ("bexley-psw", "oversight:psw_overview", {}),
    ("bexley-psw", "oversight:systemic_list", {}),
    ("bexley-psw", "oversight:figures", {}),
    ("bexley-psw", "reports:themes", {"from": "2026-10-01", "to": "2026-11-30"}),
    ("bexley-practitioner", "escalations:mine", {}),
    ("bexley-team-manager", "escalations:awaiting", {}),
    ("bexley-service-manager", "escalations:team", {}),
    ("bexley-team-manager", "absences:list", {}),
    ("wiltshire-qap-chair", "oversight:board_logged", {}),
    ("wiltshire-board-member", "reports:themes", {}),
    ("bexley-org-admin", "administration:people", {}),
    ("bexley-org-admin", "administration:teams", {}),
    ("bexley-org-admin", "administration:closure_days", {}),
    ("bexley-org-admin", "administration:audit", {}),
]


@pytest.fixture
def busy(people, raise_escalation, travel):
    """Something on every list: live escalations in each procedure, one logged with the board, an absence."""
    import datetime as dt

    from administration import services as administration
    from escalations import services
    from organisations import absences
    from oversight import services as systemic
    from oversight.models import SystemicIssueKind

    travel(at(2026, 11, 10, 10, 0))
    bexley = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=raise_escalation("bexley-practitioner", "bexley-internal"),
                                actor=people["bexley-team-manager"], decision="uphold", rationale="Not met.")
    wiltshire = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    services.escalation_log_with_board(escalation=wiltshire, actor=people["puddleducks-practitioner"],
                                       reason="Third referral declined.")
    absences.absence_record(actor=people["bexley-team-manager"], person=people["bexley-team-manager"],
                            starts_on=dt.date(2026, 11, 20), ends_on=dt.date(2026, 11, 27), cover=None)
    systemic.systemic_issue_create(actor=people["bexley-psw"], kind=SystemicIssueKind.values[0], title="Referrals",
                                   description="Referrals bounce back.", owner=people["bexley-psw"],
                                   escalation_ids=[bexley.pk])
    administration.closure_day_add(actor=people["bexley-org-admin"], date=dt.date(2026, 12, 24), reason="Closed")
    return bexley


@pytest.mark.parametrize(("username", "url_name", "query"), PAGES, ids=[f"{u}:{n}" for u, n, _ in PAGES])
def test_every_cell_of_every_table_is_labelled_with_its_column(client, people, busy, username, url_name, query):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse(url_name), query)
    assert response.status_code == 200
    cells = _cells(response.content.decode())
    assert cells, f"{url_name} shows a table"
    unlabelled = [cell for cell in cells if cell[1] is None and not cell[2]]
    assert unlabelled == []
    assert all("{" not in (label or "") and "%" not in (label or "") for _, label, _ in cells)


def test_the_awaiting_list_labels_its_columns_by_its_tab(client, people, busy):
    client.force_login(people["bexley-service-manager"])
    labels = {label for _, label, _ in _cells(client.get(reverse("escalations:team")).content.decode())}
    assert {"Deadline", "Case", "Procedure and stage", "Raised by / held by", "State"} <= labels
    client.force_login(people["bexley-team-manager"])
    labels = {label for _, label, _ in _cells(client.get(reverse("escalations:awaiting")).content.decode())}
    assert {"Raised by", "Actions"} <= labels and "Raised by / held by" not in labels
