"""Sign-in lockout (django-axes): five wrong passwords for one username from one address lock that pair out
for 15 minutes, on the sign-in page and the API's token endpoint, with the address taken from
X-Forwarded-For only when the connection comes from a trusted proxy."""
import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
TOKEN = "/api/v1/auth/token/"
RIGHT = "demo-pass-2026"
UTC = dt.UTC


def sign_in(client, username, password, **extra):
    return client.post(SIGN_IN, {"username": username, "password": password}, **extra)


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_the_lockout_page(people):
    """The original attack: 40 wrong passwords, then success. Now the fifth locks the account out from here."""
    client = Client()
    codes = [sign_in(client, "bexley-practitioner", f"guess-{n}").status_code for n in range(40)]
    assert codes[:4] == [200] * 4  # the form again, with its error
    assert set(codes[4:]) == {429}
    response = sign_in(client, "bexley-practitioner", RIGHT)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Sign-in locked for now" in page
    assert "5 unsuccessful attempts" in page
    assert 'data-testid="retry-at"' in page and "You can try again after" in page
    assert int(response["Retry-After"]) > 14 * 60
    assert client.get("/").status_code == 302  # not signed in


def test_the_lockout_ends_after_fifteen_minutes_and_the_right_password_then_works(people, travel):
    from tests.conftest import at

    travel(at(2026, 11, 10, 10, 0))
    client = Client()
    for n in range(5):
        sign_in(client, "stoke-crm", f"guess-{n}")
    travel(at(2026, 11, 10, 10, 14))
    locked = sign_in(client, "stoke-crm", RIGHT)
    assert locked.status_code == 429
    # Each attempt during the lockout moves the time on: 15 minutes from 10:14.
    assert "10:29" in locked.content.decode()
    travel(at(2026, 11, 10, 10, 30))
    assert sign_in(client, "stoke-crm", RIGHT).status_code == 302
    assert client.session["_auth_user_id"] == str(people["stoke-crm"].pk)


def test_four_wrong_passwords_then_the_right_one_signs_in_and_clears_the_count(people):
    client = Client()
    for n in range(4):
        assert sign_in(client, "bexley-psw", f"guess-{n}").status_code == 200
    assert sign_in(client, "bexley-psw", RIGHT).status_code == 302
    client.post("/sign-out/")
    for n in range(4):  # the count started again from nothing
        assert sign_in(client, "bexley-psw", f"guess-{n}").status_code == 200
    assert sign_in(client, "bexley-psw", RIGHT).status_code == 302


def test_the_lockout_is_per_username_and_address(people):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        sign_in(attacker, "bexley-team-manager", f"guess-{n}")
    assert sign_in(attacker, "bexley-team-manager", RIGHT).status_code == 429
    # The person at their own desk still signs in; the attacker's address may still try other names.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20"), "bexley-team-manager", RIGHT).status_code == 302
    assert sign_in(attacker, "bexley-psw", RIGHT).status_code == 302


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(people):
    """Without a trusted proxy the header is the client's own words: rotating it changes nothing."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        sign_in(client, "wiltshire-social-worker", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = sign_in(client, "wiltshire-social-worker", RIGHT, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(people, settings):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = Client(REMOTE_ADDR="10.0.0.2")
    for n in range(5):
        sign_in(via_proxy, "bs3-practitioner", f"guess-{n}", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert sign_in(via_proxy, "bs3-practitioner", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert sign_in(via_proxy, "bs3-practitioner", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_the_token_endpoint_locks_out_after_five_wrong_passwords_with_a_json_429(people):
    client = APIClient()
    codes = [client.post(TOKEN, {"username": "bexley-practitioner", "password": f"guess-{n}"}).status_code
             for n in range(5)]
    assert codes == [400, 400, 400, 400, 429]  # the fifth wrong password locks the pair out
    response = client.post(TOKEN, {"username": "bexley-practitioner", "password": RIGHT})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Too many unsuccessful sign-ins" in response.json()["detail"]
    assert "token" not in response.json()
    assert int(response["Retry-After"]) > 14 * 60


def test_failures_on_the_page_and_the_api_count_together(people):
    page, api = Client(), APIClient()
    for n in range(3):
        sign_in(page, "stoke-psw", f"guess-{n}")
    for n in range(2):
        api.post(TOKEN, {"username": "stoke-psw", "password": f"guess-{n}"})
    assert sign_in(page, "stoke-psw", RIGHT).status_code == 429
    assert api.post(TOKEN, {"username": "stoke-psw", "password": RIGHT}).status_code == 429


def test_force_login_and_single_sign_on_are_not_touched_by_the_lockout(people):
    """Signing in without a password (the test client's force_login, the OIDC callback) checks nothing here."""
    client = Client()
    for n in range(6):
        sign_in(client, "bexley-director", f"guess-{n}")
    client.force_login(people["bexley-director"])
    assert client.get("/").status_code in (200, 302)
    assert client.session["_auth_user_id"] == str(people["bexley-director"].pk)
