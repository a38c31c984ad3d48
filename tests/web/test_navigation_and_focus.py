"""The menu keeps to one line at 1280 px (GOV.UK service navigation, short labels) and marks the page you
are on; an action link from a list puts focus on the action; the board's report links to its CSVs, not
the API; the Django admin is for platform staff alone."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from organisations.models import User
from tests.conftest import at

pytestmark = pytest.mark.django_db

# The service navigation is 960 px wide; at 19px Arial a label takes about 9.5 px a character and each
# item 15 px of gap (static/css/app.css), so 85 characters of labels with up to 9 items keep to one line.
# The browser journeys measure it (tests/browser/test_pages.py, every menu at 1280 px).
MENU_BUDGET = 85


def menu(page: str) -> list[str]:
    """The visible labels of the menu's items."""
    block = page.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r'<li class="govuk-service-navigation__item[^"]*">(.*?)</li>', block, re.S)
    return [re.sub(r"<[^>]+>", "", re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", item)).strip()
            for item in items]


@pytest.mark.parametrize("username", [
    "bexley-practitioner", "bexley-team-manager", "bexley-service-manager", "bexley-psw", "stoke-crm",
    "wiltshire-qap-chair", "wiltshire-board-member", "bexley-org-admin", "bs3-designated-safeguarding-lead",
])
def test_every_role_s_menu_fits_one_line(client, people, username):
    client.force_login(people[username])
    response = client.get(reverse("home"), follow=True)
    page = response.content.decode()
    labels = menu(page)
    assert labels, username
    assert len(labels) <= 9 and sum(len(label) for label in labels) <= MENU_BUDGET, labels
    assert 'class="govuk-service-navigation"' in page and "govuk-header__navigation" not in page


def test_the_menu_marks_the_page_you_are_on_and_says_in_full_what_a_short_label_means(client, people):
    client.force_login(people["bexley-psw"])
    page = client.get(reverse("oversight:psw_overview")).content.decode()
    current = re.findall(r'<a class="govuk-service-navigation__link" href="([^"]+)" aria-current="page">', page)
    assert current == [reverse("oversight:psw_overview")]
    assert 'Raise<span class="govuk-visually-hidden"> a disagreement</span>' in page
    # Notifications sit beside "Sign out", with the unread count.
    bar = page.split('data-testid="user-bar"', 1)[1].split("</div>", 1)[0]
    assert f'href="{reverse("notifications:list")}"' in bar and "Sign out" in bar


def test_a_list_s_action_link_lands_focus_on_the_action(client, people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-team-manager"])
    listing = client.get(reverse("escalations:awaiting")).content.decode()
    link = re.search(rf'href="({reverse("escalations:detail", args=[escalation.pk])}\?open=(\w+)#action-(\w+))"',
                     listing)
    assert link and link.group(2) == link.group(3)
    page = client.get(link.group(1).split("#")[0]).content.decode()
    target = re.search(rf'<details class="govuk-details app-action" id="action-{link.group(3)}"([^>]*)>', page)
    assert target, "the fragment names the action"
    assert 'tabindex="-1"' in target.group(1) and " open" in target.group(1)
    assert "<script" not in page.split('id="main-content"', 1)[1].split("</main>", 1)[0]


def test_the_board_report_links_to_its_csvs_not_the_api(client, people):
    client.force_login(people["wiltshire-board-member"])
    page = client.get(reverse("reports:themes")).content.decode()
    assert "/api/" not in page.split('id="main-content"', 1)[1].split("</main>", 1)[0]
    assert reverse("reports:themes_csv") in page and "Download this table as CSV" in page


ORGANISATION_PEOPLE = ["bexley-practitioner", "bexley-psw", "bexley-org-admin", "wiltshire-qap-chair",
                       "wiltshire-board-member", "stoke-team-manager"]


def test_only_platform_staff_are_django_staff(people):
    assert not User.objects.filter(is_staff=True).exclude(organisation=None, partnership=None).exists()
    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == {"admin"}


@pytest.mark.parametrize("username", ORGANISATION_PEOPLE)
def test_organisation_people_are_refused_at_the_django_admin(client, people, username):
    client.force_login(people[username])
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/organisations/user/").status_code == 302
    client.logout()
    signed = client.post("/admin/login/?next=/admin/", {"username": username, "password": "demo-pass-2026"})
    assert signed.status_code == 200 and "staff account" in signed.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_platform_admin_reaches_the_django_admin(client, people):
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/admin/").status_code == 200
