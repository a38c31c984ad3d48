"""The site's error pages (GOV.UK patterns): each says what happened and where to go, inside the site's
layout; paths under /api/ keep the API's JSON."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from core import error_pages
from escalation_tracker import urls
from organisations.models import User

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    page = response.content.decode()
    assert 'class="govuk-template"' in page and "govuk-frontend.min.css" in page, "the site's own layout"
    assert "Escalation Tracker" in page
    return page


def test_the_handlers_are_the_site_s():
    assert urls.handler400 == "core.error_pages.bad_request"
    assert urls.handler403 == "core.error_pages.permission_denied"
    assert urls.handler404 == "core.error_pages.page_not_found"
    assert urls.handler500 == "core.error_pages.server_error"


def test_a_page_that_does_not_exist_says_so_and_offers_sign_in_to_a_visitor(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = _page(response)
    assert "<title>Page not found – Escalation Tracker</title>" in page
    assert '<h1 class="govuk-heading-l" id="error-heading" tabindex="-1">Page not found</h1>' in page
    assert "check it is correct" in page
    assert f'href="{reverse("login")}" data-testid="error-sign-in"' in page


def test_a_signed_in_person_s_404_keeps_the_menu_and_links_home(client, people):
    client.force_login(people["bexley-practitioner"])
    page = _page(client.get("/escalations/999999/"))
    assert 'data-testid="error-home"' in page and f'href="{reverse("home")}"' in page
    assert 'id="navigation"' in page and "Sign out" in page


def test_a_board_member_on_another_partnership_s_report_is_told_why_and_where_to_go(client, people):
    client.force_login(people["wiltshire-board-member"])
    response = client.get(reverse("reports:themes"), {"partnership": "bristol-partnership"})
    assert response.status_code == 403
    page = _page(response)
    assert "You cannot see this page</h1>" in page
    assert 'data-testid="error-reason">You may read the report of your own partnership only.</p>' in page
    assert 'data-testid="error-home"' in page
    assert "403 Forbidden" not in page


def test_a_practitioner_on_the_psw_overview_gets_the_styled_refusal(client, people):
    client.force_login(people["bexley-practitioner"])
    response = client.get(reverse("oversight:psw_overview"))
    assert response.status_code == 403
    assert "Only a principal social worker sees the overview." in _page(response)


def test_the_platform_admin_is_sent_to_the_django_admin_from_home_and_refused_politely_elsewhere(client, people):
    admin = User.objects.get(username="admin")
    client.force_login(admin)
    assert client.get(reverse("home"))["Location"] == reverse("admin:index")
    response = client.get(reverse("oversight:psw_overview"))
    assert response.status_code == 403
    assert "Go to your home page" in _page(response)


def test_a_bad_request_is_the_site_s_400_page(client):
    response = client.get("/", HTTP_HOST="attacker.example")  # not an allowed host: Django answers 400
    assert response.status_code == 400
    page = _page(response)
    assert "Sorry, there is a problem with the request</h1>" in page and "Nothing was saved." in page


def test_a_refused_form_says_it_was_not_sent_and_how_to_send_it_again(people):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "bexley-practitioner", "password": "x"})
    assert response.status_code == 403
    page = _page(response)
    assert "Your form was not sent</h1>" in page and "refresh the page" in page
    assert f'href="{reverse("login")}" data-testid="error-sign-in"' in page


def test_the_500_page_renders_without_the_database_or_the_session():
    request = RequestFactory().get("/escalations/mine/")
    response = error_pages.server_error(request)
    assert response.status_code == 500
    page = _page(response)
    assert "Sorry, there is a problem with the service</h1>" in page and "call the Police on 999" in page


def test_a_view_that_fails_answers_the_500_page(client, people, monkeypatch):
    from escalations import views

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views.selectors, "escalation_list_raised", broken)
    client.raise_request_exception = False
    client.force_login(people["bexley-practitioner"])
    response = client.get(reverse("escalations:mine"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in _page(response)


def test_api_paths_keep_the_api_s_json(client, people):
    client.force_login(people["bexley-practitioner"])
    response = client.get("/api/v1/escalations/999999/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    for path in ("/api/v2/nothing-here/", "/scim/v2/Nothing"):
        request = RequestFactory().get(path)
        answer = error_pages.page_not_found(request, Exception())
        assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")
        assert answer.content == b'{"detail": "Not found."}'
        assert error_pages.server_error(request)["Content-Type"] == "application/json"


def test_the_run_script_shows_the_site_s_pages_not_django_s_debug_pages():
    script = (Path(settings.BASE_DIR) / "scripts" / "run").read_text()
    assert 'export DEBUG="${DEBUG:-0}"' in script
    assert "seed_demo --i-know-this-is-not-production" in script
