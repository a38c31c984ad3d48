"""Every demo person lands on a page with something to do or to see (issue 11 item 7): signed in as each
user of CONTRACT sections 4 and 8.8, the home page leads to at least one escalation or figure."""
import re

import pytest
from django.urls import reverse

from organisations.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]

DEMO_USERS = [
    # CONTRACT section 4
    "bexley-practitioner", "bexley-team-manager", "bexley-service-manager", "bexley-head-of-service",
    "bexley-deputy-director", "bexley-director", "bexley-psw",
    "stoke-crm", "stoke-social-worker", "stoke-team-manager", "stoke-service-manager", "stoke-strategic-manager",
    "stoke-assistant-director", "stoke-director", "stoke-psw",
    "wiltshire-social-worker", "wiltshire-team-manager", "wiltshire-service-manager", "wiltshire-head-of-service",
    "puddleducks-practitioner", "puddleducks-designated-safeguarding-lead", "puddleducks-nursery-manager",
    "puddleducks-owner", "wiltshire-qap-chair", "wiltshire-board-member",
    "bs3-practitioner", "bs3-designated-safeguarding-lead", "bs3-nursery-manager",
    "bristol-social-worker", "bristol-team-manager", "bristol-service-manager", "bristol-head-of-service",
    # CONTRACT section 8.8
    "bexley-legal-adviser", "bexley-org-admin", "bristol-health-practitioner", "bristol-health-safeguarding-lead",
    "bristol-health-senior-manager", "bristol-qap-chair",
]

ESCALATION_ROW = re.compile(r'data-escalation="\d+"')
FIGURE = re.compile(r'data-figure="[a-z_]+">\s*[1-9]')
REPORT_FIGURE = re.compile(r"Escalations raised</th>\s*<td[^>]*>\s*(?!0\s*<)[^<\s][^<]*</td>")


def landing(client, username: str) -> tuple[str, str]:
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200, username
    return response.redirect_chain[-1][0], response.content.decode()


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_demo_user_lands_on_an_escalation_or_a_figure(client, username):
    where, page = landing(client, username)
    assert ESCALATION_ROW.search(page) or FIGURE.search(page) or REPORT_FIGURE.search(page), (username, where)


def test_nobody_lands_on_an_empty_list(client):
    empty = []
    for username in DEMO_USERS:
        where, page = landing(client, username)
        if 'data-testid="empty-list"' in page or 'data-testid="empty"' in page:
            empty.append((username, where))
    assert empty == []


def test_the_partnership_s_people_land_on_their_own_pages(client):
    assert landing(client, "bristol-qap-chair")[0] == reverse("oversight:board_logged")
    assert landing(client, "wiltshire-qap-chair")[0] == reverse("oversight:board_logged")
    assert landing(client, "wiltshire-board-member")[0] == reverse("reports:themes")
    assert landing(client, "stoke-psw")[0] == reverse("oversight:psw_overview")
    assert landing(client, "bexley-org-admin")[0] == reverse("administration:home")


def test_the_allocated_social_worker_lands_on_the_disputes_about_their_cases(client):
    where, page = landing(client, "stoke-social-worker")
    assert where == reverse("escalations:on_my_cases")
    assert "DEMO-ST-" in page
