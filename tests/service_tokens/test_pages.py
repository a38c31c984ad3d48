"""The administrator's API tokens pages: make a token (its key shown once, kept as a hash), see the organisation's
tokens, revoke one. Only the organisation's own administrator; each change in the audit log."""
import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from administration.models import AuditEntry, AuditKind
from audit.models import AccessEvent, Action
from identity.models import Scope, ServiceToken
from tests.web.test_reflow import _cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, people):
    client.force_login(people["bexley-org-admin"])
    return client


def _form(last_day: dt.date | None = None, **fields) -> dict:
    last_day = last_day or timezone.localdate() + dt.timedelta(days=90)
    return {"name": "Mosaic", "scopes": [Scope.CASES_CREATE, Scope.ESCALATIONS_READ],
            "expires_day": str(last_day.day), "expires_month": str(last_day.month), "expires_year": str(last_day.year),
            **fields}


def _key(page: str) -> str:
    return re.search(r'data-testid="token-key">(etcms_[^<]+)</code>', page).group(1)


def test_the_administrator_makes_a_token_and_sees_its_key_once(admin, people, bearer):
    made = admin.post(reverse("administration:token_new"), _form())
    assert made.status_code == 200
    page = made.content.decode()
    key = _key(page)
    assert "Copy the token now" in page and "Authorization: Bearer" in page
    assert "no-store" in made["Cache-Control"]
    token = ServiceToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:14]
    assert token.organisation.slug == "bexley" and token.created_by == people["bexley-org-admin"]
    assert token.scopes == [Scope.CASES_CREATE, Scope.ESCALATIONS_READ]
    assert timezone.localtime(token.expires_at).date() == timezone.localdate() + dt.timedelta(days=91)
    listed = admin.get(reverse("administration:tokens")).content.decode()
    assert token.prefix in listed and key not in listed and "Mosaic" in listed
    # The key works, once made.
    assert bearer(key).post("/api/v1/cases/", {"reference": "LCS-9"}).status_code == 201


def test_making_a_token_is_in_the_audit_log_and_the_access_log(admin, people):
    admin.post(reverse("administration:token_new"), _form())
    token = ServiceToken.objects.get()
    entry = AuditEntry.objects.get(kind=AuditKind.SERVICE_TOKEN_ISSUED)
    assert (entry.actor, entry.organisation_id) == (people["bexley-org-admin"], token.organisation_id)
    assert entry.after["prefix"] == token.prefix and entry.after["scopes"] == token.scopes
    assert entry.after["source"] == "page" and "key" not in entry.after
    access = AccessEvent.objects.get(action=Action.ADMINISTRATIVE_CHANGE, object_id=str(entry.pk))
    assert access.username == "bexley-org-admin" and access.detail["kinds"] == [AuditKind.SERVICE_TOKEN_ISSUED]
    log = admin.get(reverse("administration:audit")).content.decode()
    assert "API token made" in log


def test_the_form_names_every_missing_answer(admin):
    page = admin.post(reverse("administration:token_new"), {}).content.decode()
    assert "There is a problem" in page
    for message in ("Enter a name that says which system uses the token", "Choose at least one thing the token may do",
                    "Enter the last day the token works"):
        assert message in page
    assert 'href="#id_name"' in page and 'href="#id_scopes_0"' in page and 'href="#id_expires_day"' in page
    assert not ServiceToken.objects.exists()


@pytest.mark.parametrize(("days", "message"), [
    (0, "The last day the token works must be in the future"),
    (366, "The last day the token works must be at most 365 days from today"),
])
def test_the_last_day_is_after_today_and_at_most_a_year_ahead(admin, days, message):
    page = admin.post(reverse("administration:token_new"),
                      _form(last_day=timezone.localdate() + dt.timedelta(days=days))).content.decode()
    assert message in page and 'href="#id_expires_day"' in page
    assert not ServiceToken.objects.exists()


def test_the_administrator_revokes_a_token_after_confirming(admin, people, make_token, bearer):
    token, key = make_token("bexley")
    confirm = admin.get(reverse("administration:token_revoke", args=[token.pk]))
    assert confirm.status_code == 200 and "Revoke the token" in confirm.content.decode()
    assert ServiceToken.objects.get(pk=token.pk).revoked_at is None  # a GET changes nothing
    done = admin.post(reverse("administration:token_revoke", args=[token.pk]))
    assert done["Location"] == reverse("administration:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == people["bexley-org-admin"]
    assert bearer(key).get("/api/v1/escalations/").status_code == 401
    entry = AuditEntry.objects.get(kind=AuditKind.SERVICE_TOKEN_REVOKED)
    assert entry.actor == people["bexley-org-admin"] and entry.after == {"revoked": True, "prefix": token.prefix,
                                                                          "source": "page"}
    assert AccessEvent.objects.filter(action=Action.ADMINISTRATIVE_CHANGE, object_id=str(entry.pk)).exists()
    listed = admin.get(reverse("administration:tokens")).content.decode()
    assert "Revoked" in listed
    again = admin.post(reverse("administration:token_revoke", args=[token.pk]), follow=True).content.decode()
    assert "already revoked" in again
    assert AuditEntry.objects.filter(kind=AuditKind.SERVICE_TOKEN_REVOKED).count() == 1


def test_another_organisation_s_administrator_neither_sees_nor_revokes_it(client, make_token, other_admin):
    token, _ = make_token("bexley")
    client.force_login(other_admin)
    assert token.prefix not in client.get(reverse("administration:tokens")).content.decode()
    hidden = client.get(reverse("administration:token_revoke", args=[token.pk]))
    missing = client.get(reverse("administration:token_revoke", args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    assert client.post(reverse("administration:token_revoke", args=[token.pk])).status_code == 404
    assert ServiceToken.objects.get(pk=token.pk).revoked_at is None


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-psw", "bexley-director"])
def test_nobody_else_opens_the_pages(client, people, make_token, username):
    token, _ = make_token("bexley")
    client.force_login(people[username])
    for name, args in (("administration:tokens", []), ("administration:token_new", []),
                       ("administration:token_revoke", [token.pk])):
        assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse("administration:token_new"), _form()).status_code == 403
    assert client.post(reverse("administration:token_revoke", args=[token.pk])).status_code == 403
    assert ServiceToken.objects.count() == 1 and ServiceToken.objects.get().revoked_at is None


def test_a_partnership_administrator_has_no_tokens(client, people):
    from tests.factories import administrator_create

    administrator = administrator_create(username="wiltshire-partnership-admin", partnership="wiltshire-partnership")
    client.force_login(administrator)
    assert client.get(reverse("administration:tokens")).status_code == 403


def test_the_menu_and_the_home_page_offer_the_tokens(admin):
    page = admin.get(reverse("administration:home")).content.decode()
    header = page.split('id="navigation"')[1].split("</ul>")[0]
    assert "API tokens" in header
    assert reverse("administration:tokens") in page.split("<main")[1]


def test_every_cell_of_the_list_is_labelled_for_the_cards_at_320_pixels(admin, make_token):
    make_token("bexley")
    revoked, _ = make_token("bexley", name="Old")
    from identity.service_tokens import service_token_revoke

    service_token_revoke(token=revoked)
    cells = _cells(admin.get(reverse("administration:tokens")).content.decode())
    assert len(cells) == 14 and all(label is not None for _, label, _ in cells)
