"""The demo data through the report: the page a newcomer sees for each reader."""
import pytest
from django.urls import reverse

from organisations.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username, scope_name, figure", [
    ("wiltshire-board-member", "Wiltshire Safeguarding Children Partnership", "fewer than 5"),
    ("wiltshire-qap-chair", "Wiltshire Safeguarding Children Partnership", "fewer than 5"),
    ("bexley-psw", "London Borough of Bexley Children&#x27;s Social Care", "Escalations raised"),
])
def test_demo_report_renders_with_charts_tables_and_exports(client, demo, username, scope_name, figure):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("reports:themes"))
    html = response.content.decode()
    assert response.status_code == 200
    assert scope_name in html and figure in html
    assert "<svg" in html and "app-report-table" in html
    assert "Download this table as CSV" in html and 'data-testid="print-link"' in html
    assert client.get(reverse("reports:themes_print")).status_code == 200


def test_home_sends_board_users_to_the_report(client, demo):
    client.force_login(User.objects.get(username="wiltshire-board-member"))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("reports:themes")
