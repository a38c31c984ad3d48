"""The sign-in page: a GOV.UK form whose one message never says which of the two was wrong."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

MESSAGE = "Enter a correct username and password. Both are case-sensitive."


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("sam-whitfield", password="a-long-pass-2026")


def test_the_page_asks_for_a_username_and_password(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label class="govuk-label " for="id_username">Username</label>' in html
    assert 'id="id_username" name="username" type="text"' in html and 'autocomplete="username"' in html
    assert 'id="id_password" name="password" type="password" autocomplete="current-password"' in html


@pytest.mark.parametrize("answers", [
    {"username": "sam-whitfield", "password": "wrong"},
    {"username": "nobody", "password": "a-long-pass-2026"},
    {"username": "", "password": ""},
    {"username": "sam-whitfield", "password": ""},
])
def test_any_failure_gives_one_message_on_the_username(client, member, answers):
    response = client.post(reverse("login"), answers)
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error: Sign in" in html
    assert html.count(f'<a href="#id_username">{MESSAGE}</a>') == 1
    assert html.count(MESSAGE) == 2  # in the summary and on the field
    assert 'id="id_username-error"' in html and "id_password-error" not in html
    assert 'value="wrong"' not in html and 'value="a-long-pass-2026"' not in html


def test_the_right_password_signs_in(client, member):
    response = client.post(reverse("login"), {"username": "sam-whitfield", "password": "a-long-pass-2026"})
    assert response.status_code == 302 and "_auth_user_id" in client.session
