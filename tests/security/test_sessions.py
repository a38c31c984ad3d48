"""Sessions end after 30 minutes idle and 10 hours after sign-in; API tokens expire after 10 hours and end
on sign-out, a password change and deactivation; passwords have at least 12 characters and are not common."""
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from tests.conftest import at

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def timeouts(settings):
    """The production timeouts (the suite turns them off elsewhere, as it moves the clock by days)."""
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 10 * 3600


def signed_in(client, username="bexley-practitioner"):
    assert client.post("/sign-in/", {"username": username, "password": "demo-pass-2026"}).status_code == 302
    return client


def test_the_production_settings_time_sessions_out():
    from django.conf import settings as django_settings

    from escalation_tracker import settings as module

    assert module.SESSION_IDLE_TIMEOUT == 1800 and module.SESSION_ABSOLUTE_TIMEOUT == 36000
    assert module.SESSION_COOKIE_AGE == 36000 and module.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert django_settings.REST_KNOX["TOKEN_TTL"].total_seconds() == 36000


def test_thirty_minutes_without_a_request_signs_the_person_out(people, travel, timeouts):
    travel(at(2026, 11, 10, 9, 0))
    client = signed_in(Client())
    travel(at(2026, 11, 10, 9, 29))
    assert client.get(PAGE).status_code == 200
    travel(at(2026, 11, 10, 9, 58))  # 58 minutes after sign-in, 29 after the last request
    assert client.get(PAGE).status_code == 200
    travel(at(2026, 11, 10, 10, 29))
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 30 minutes without activity" in page
    # Signed out for good: coming back does not sign them in again.
    assert client.get(PAGE).status_code == 302


def test_ten_hours_after_signing_in_the_session_ends_however_busy(people, travel, timeouts):
    travel(at(2026, 11, 10, 8, 0))
    client = signed_in(Client())
    for minutes in range(20, 600, 20):
        travel(at(2026, 11, 10, 8 + minutes // 60, minutes % 60))
        assert client.get(PAGE).status_code == 200, minutes
    travel(at(2026, 11, 10, 18, 1))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "signed in more than 10 hours ago" in client.get(response["Location"]).content.decode()


def test_a_timed_out_session_is_anonymous_to_the_api_too(people, travel, timeouts):
    travel(at(2026, 11, 10, 9, 0))
    client = signed_in(Client())
    assert client.get("/api/v1/me/").status_code == 200
    travel(at(2026, 11, 10, 9, 31))
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_request_within_a_minute_writes_nothing_to_the_session(people, travel, timeouts,
                                                                django_assert_num_queries):
    """The last-seen time is kept to the minute: most requests leave the session row alone."""
    travel(at(2026, 11, 10, 9, 0))
    client = signed_in(Client())
    client.get(PAGE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    travel(at(2026, 11, 10, 9, 5))
    with CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    assert [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


def set_password_link(person):
    """The invitation's link to set a password (as the administration's e-mail gives it)."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    return f"/set-password/{uid}/{default_token_generator.make_token(person)}/"


# --- API tokens ---------------------------------------------------------------------------------------
def token_for(username="bexley-practitioner"):
    response = APIClient().post(TOKEN, {"username": username, "password": "demo-pass-2026"})
    assert response.status_code == 200
    return response.json()["token"]


def me_status(token):
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return script.get("/api/v1/me/").status_code


def test_a_token_is_stored_only_as_a_hash():
    from knox.models import AuthToken

    field_names = {field.name for field in AuthToken._meta.get_fields()}
    assert "digest" in field_names and "key" not in field_names


def test_a_token_expires_ten_hours_after_it_was_issued(people, travel):
    travel(at(2026, 11, 10, 8, 0))
    token = token_for()
    travel(at(2026, 11, 10, 17, 59))
    assert me_status(token) == 200
    travel(at(2026, 11, 10, 18, 1))
    assert me_status(token) in (401, 403)


def test_signing_out_ends_the_persons_api_tokens(people):
    token, other = token_for("bexley-practitioner"), token_for("bexley-psw")
    browser = signed_in(Client(), "bexley-practitioner")
    assert me_status(token) == 200
    browser.post("/sign-out/")
    assert me_status(token) in (401, 403)
    assert me_status(other) == 200  # someone else's token is untouched


def test_a_password_change_ends_the_persons_api_tokens(people):
    token = token_for("stoke-crm")
    person = people["stoke-crm"]
    person.set_password("a-new-pass-phrase-2026")
    person.save()
    assert me_status(token) in (401, 403)
    assert APIClient().post(TOKEN, {"username": "stoke-crm", "password": "a-new-pass-phrase-2026"}).status_code == 200


def test_a_password_set_through_the_invitation_link_ends_the_persons_api_tokens(people):
    person = people["wiltshire-social-worker"]
    token = token_for("wiltshire-social-worker")
    link = set_password_link(person)
    client = Client()
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "a-fresh-pass-phrase-9",
                                      "new_password2": "a-fresh-pass-phrase-9"})
    assert response.status_code == 302
    assert me_status(token) in (401, 403)


def test_deactivation_ends_the_persons_api_tokens(people):
    from administration.services import staff_deactivate
    from organisations.models import User

    token = token_for("bexley-team-manager")
    admin = User.objects.get(username="bexley-org-admin")
    staff_deactivate(actor=admin, person=people["bexley-team-manager"])
    assert me_status(token) in (401, 403)


def test_a_persons_live_tokens_are_capped(people, settings):
    from knox.models import AuthToken

    tokens = [token_for("bexley-psw") for _ in range(12)]
    assert AuthToken.objects.filter(user=people["bexley-psw"]).count() == settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]
    assert me_status(tokens[-1]) == 200 and me_status(tokens[0]) in (401, 403)


# --- passwords ---------------------------------------------------------------------------------------
def test_a_password_needs_twelve_characters_and_must_not_be_common(people):
    from django.contrib.auth.password_validation import validate_password

    person = people["bexley-practitioner"]
    with pytest.raises(ValidationError) as short:
        validate_password("s3cure-pw!x", person)  # 11 characters
    assert "at least 12 characters" in " ".join(short.value.messages)
    with pytest.raises(ValidationError) as common:
        validate_password("q1w2e3r4t5y6", person)  # 12 characters, and on the list of common passwords
    assert "too common" in " ".join(common.value.messages)
    validate_password("demo-pass-2026", person)  # the demo's password: 14 characters


def test_the_set_password_page_refuses_an_eight_character_password(people):
    person = people["wiltshire-team-manager"]
    link = set_password_link(person)
    client = Client()
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "Zx9!qw7#", "new_password2": "Zx9!qw7#"})
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    person.refresh_from_db()
    assert person.check_password("demo-pass-2026")
