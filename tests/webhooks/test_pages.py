"""The organisation administrator's webhook pages: add, change, turn on and off, rotate the secret (shown once),
the delivery log and sending again; each change on the audit log; nobody else gets in."""
import datetime as dt
import re

import pytest
import standardwebhooks
from django.urls import reverse
from django.utils import timezone

from administration.models import AuditEntry, AuditKind
from audit.models import AccessEvent
from tests.conftest import at
from tests.factories import administrator_create
from tests.webhooks.test_pages_support import CASE_REFERENCE, delivery_made, signed
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


@pytest.fixture
def admin(people):
    """The demo's organisation administrator (CONTRACT 8.8)."""
    return people["bexley-org-admin"]


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def endpoint(admin):
    return services.endpoint_create(actor=admin, name="Mosaic", url="https://mosaic.example.org/hooks")[0]


def page(response) -> str:
    return response.content.decode()


def fixed(response) -> str:
    """A page without what differs on every answer: its forms' CSRF token and its scripts' CSP nonce."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page(response))
    return re.sub(r'nonce="[^"]*"', "", text)


def test_the_administrator_s_menu_and_home_lead_to_the_webhooks(admin_client):
    home = page(admin_client.get(reverse("administration:home")))
    assert home.count(f'href="{reverse("administration:webhooks")}"') >= 2  # the menu and the home page
    listing = admin_client.get(reverse("administration:webhooks"))
    assert listing.status_code == 200 and "has no webhook endpoint yet" in page(listing)


def test_an_endpoint_is_added_off_and_its_secret_is_shown_once(admin_client, admin):
    response = admin_client.post(reverse("administration:webhook_add"), {
        "name": "Mosaic", "url": "https://mosaic.example.org/hooks",
        "kinds": ["escalation.respond", "escalation.raise"], "include_display_name": "on",
    })
    assert response.status_code == 200
    endpoint = Endpoint.objects.get(organisation=admin.organisation)
    secret = endpoint.secrets.get().secret
    assert SECRET.findall(page(response)) == [secret]
    assert "it will not be shown again" in page(response)
    assert (endpoint.name, endpoint.url, endpoint.kinds, endpoint.include_display_name, endpoint.active) == (
        "Mosaic", "https://mosaic.example.org/hooks", ["escalation.raise", "escalation.respond"], True, False)

    shown = page(admin_client.get(reverse("administration:webhook", args=[endpoint.pk])))
    assert secret not in shown and not SECRET.search(shown)
    assert secret[-4:] in shown  # named by its ending only
    assert "Raised, Decision recorded" in shown

    entry = AuditEntry.objects.get(kind=AuditKind.WEBHOOK_ENDPOINT_ADDED)
    assert (entry.actor, entry.organisation_id, entry.subject) == (admin, admin.organisation_id, "Mosaic")
    assert entry.after["kinds"] == ["escalation.raise", "escalation.respond"]
    assert secret not in str(entry.before) + str(entry.after)
    assert AccessEvent.objects.filter(action="administrative_change", object_kind="audit_entry",
                                      object_id=str(entry.pk), user=admin).exists()


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"name": "", "url": "https://a.example.org/"}, "name", "Enter a name for the endpoint"),
    ({"name": "CMS", "url": ""}, "url", "Enter the endpoint&#x27;s URL"),
    ({"name": "CMS", "url": "not a url"}, "url", "Enter a full URL that starts with https://"),
    ({"name": "CMS", "url": "http://cms.example.org/"}, "url", "The URL must start with https://"),
    ({"name": "CMS", "url": "https://a.example.org/", "kinds": ["escalation.nothing"]}, "kinds",
     "Choose from the kinds of event listed"),
])
def test_bad_input_is_refused_on_its_field_and_adds_nothing(admin_client, data, field, words):
    response = admin_client.post(reverse("administration:webhook_add"), data)
    assert response.status_code == 200
    assert f'id="id_{field}-error"' in page(response) and words in page(response)
    assert f'href="#id_{field}' in page(response)  # the error summary links to the field
    assert page(response).count("Error:") >= 1 and not Endpoint.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_name_the_organisation_already_uses_is_refused_on_the_name(admin_client, endpoint):
    response = admin_client.post(reverse("administration:webhook_add"),
                                 {"name": "mosaic", "url": "https://other.example.org/"})
    assert 'id="id_name-error"' in page(response) and "already has an endpoint called" in page(response)
    assert Endpoint.objects.count() == 1


def test_plain_http_to_the_example_receiver_on_this_machine_is_accepted(admin_client):
    response = admin_client.post(reverse("administration:webhook_add"),
                                 {"name": "Example receiver", "url": "http://127.0.0.1:8765/events"})
    assert response.status_code == 200 and Endpoint.objects.get().url == "http://127.0.0.1:8765/events"


def test_a_change_saves_the_kinds_and_the_display_name_and_audits_what_changed(admin_client, admin, endpoint):
    response = admin_client.post(reverse("administration:webhook", args=[endpoint.pk]), {
        "name": "Mosaic", "url": "https://mosaic.example.org/v2", "kinds": ["escalation.withdraw"],
    })
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.kinds, endpoint.include_display_name) == (
        "https://mosaic.example.org/v2", ["escalation.withdraw"], False)
    entry = AuditEntry.objects.get(kind=AuditKind.WEBHOOK_ENDPOINT_CHANGED)
    assert entry.before == {"kinds": [], "url": "https://mosaic.example.org/hooks"}
    assert entry.after == {"kinds": ["escalation.withdraw"], "url": "https://mosaic.example.org/v2"}

    refused = admin_client.post(reverse("administration:webhook", args=[endpoint.pk]),
                                {"name": "", "url": "http://mosaic.example.org/"})
    assert 'id="id_name-error"' in page(refused) and 'id="id_url-error"' in page(refused)
    endpoint.refresh_from_db()
    assert endpoint.url == "https://mosaic.example.org/v2" and AuditEntry.objects.count() == 1


def test_an_endpoint_is_turned_on_and_off(admin_client, endpoint):
    switch = reverse("administration:webhook_switch", args=[endpoint.pk])
    assert admin_client.post(switch, {"active": "on"}).status_code == 302
    assert Endpoint.objects.get(pk=endpoint.pk).active is True
    listing = page(admin_client.get(reverse("administration:webhooks")))
    assert ">On</strong>" in listing and "Turn off" in listing
    assert admin_client.post(switch, {"active": "off", "next": "list"}).url == reverse("administration:webhooks")
    assert Endpoint.objects.get(pk=endpoint.pk).active is False
    admin_client.post(switch, {})  # neither on nor off: nothing changes
    assert Endpoint.objects.get(pk=endpoint.pk).active is False
    changes = list(AuditEntry.objects.order_by("pk").values_list("kind", "before", "after"))
    assert changes == [(AuditKind.WEBHOOK_ENDPOINT_CHANGED, {"active": False}, {"active": True}),
                       (AuditKind.WEBHOOK_ENDPOINT_CHANGED, {"active": True}, {"active": False})]
    assert admin_client.get(switch).status_code == 405


def test_rotating_shows_the_new_secret_once_and_both_verify_for_24_hours(admin_client, admin, endpoint, travel):
    old = endpoint.secrets.get().secret
    confirm = admin_client.get(reverse("administration:webhook_rotate", args=[endpoint.pk]))
    assert "works for 24 hours more" in page(confirm) and not SECRET.search(page(confirm))

    travel(timezone.now())
    response = admin_client.post(reverse("administration:webhook_rotate", args=[endpoint.pk]))
    assert response.status_code == 200
    new = endpoint.secrets.order_by("-created_at", "-id").first().secret
    assert SECRET.findall(page(response)) == [new] and new != old
    assert "The old secret works for 24 hours more" in page(response)

    body = '{"id": "msg_rotation"}'
    headers = signed([secret.secret for secret in services.secrets_valid(endpoint=endpoint)], body)
    assert standardwebhooks.Webhook(old).verify(body, headers) and standardwebhooks.Webhook(new).verify(body, headers)
    detail = page(admin_client.get(reverse("administration:webhook", args=[endpoint.pk])))
    assert "Previous: ending" in detail and new not in detail and old not in detail

    entry = AuditEntry.objects.get(kind=AuditKind.WEBHOOK_SECRET_ROTATED)
    assert entry.before["secret"] == f"…{old[-4:]}" and entry.after == {"secret": f"…{new[-4:]}"}
    assert old not in str(entry.before) and new not in str(entry.after)

    travel(timezone.now() + dt.timedelta(hours=24, minutes=1))
    headers = signed([secret.secret for secret in services.secrets_valid(endpoint=endpoint)], body)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(old).verify(body, headers)
    assert standardwebhooks.Webhook(new).verify(body, headers)


def test_a_failing_endpoint_is_shown_with_a_warning_wherever_the_administrator_looks(admin_client, endpoint, travel):
    travel(at(2026, 11, 30, 15, 0))
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=at(2026, 11, 27, 14, 0))
    words = "“Mosaic” has been failing since 2pm on Friday 27 November 2026"
    for name, args in (("administration:home", []), ("administration:webhooks", []),
                       ("administration:webhook", [endpoint.pk]), ("administration:webhook_deliveries", [endpoint.pk])):
        shown = page(admin_client.get(reverse(name, args=args)))
        assert "govuk-warning-text" in shown and words in shown, name
    listing = page(admin_client.get(reverse("administration:webhooks")))
    assert ">Failing</strong>" in listing
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    assert "has been failing" not in page(admin_client.get(reverse("administration:webhooks")))


def test_the_delivery_log_lists_deliveries_newest_first_with_their_tries(admin_client, endpoint, travel):
    travel(at(2026, 11, 30, 9, 0))
    older = delivery_made(endpoint, event_type="escalation.raise", at=at(2026, 11, 27, 10, 0),
                          status=Delivery.Status.DELIVERED, tries=[(200, "")])
    newer = delivery_made(endpoint, event_type="escalation.respond", at=at(2026, 11, 27, 11, 0),
                          status=Delivery.Status.FAILED, tries=[(500, ""), (None, "Connection refused")])
    response = admin_client.get(reverse("administration:webhook_deliveries", args=[endpoint.pk]))
    shown = page(response)
    assert response.status_code == 200
    assert shown.index(newer.event.event_id) < shown.index(older.event.event_id)
    assert "Decision recorded" in shown and "escalation.respond" in shown and "Raised" in shown
    assert "2 tries" in shown and "1 try" in shown
    assert "HTTP 500" in shown and "Connection refused" in shown and "Failed (gave up)" in shown
    assert "11am on Friday 27 November 2026" in shown
    assert CASE_REFERENCE not in shown  # what an event holds is not the administrator's to read
    assert 'data-label="Tries"' in shown and 'data-label="Last answer"' in shown  # cards at 320 px


def test_the_delivery_log_is_paginated(admin_client, endpoint):
    for _ in range(27):
        delivery_made(endpoint)
    first = page(admin_client.get(reverse("administration:webhook_deliveries", args=[endpoint.pk])))
    assert first.count("data-delivery=") == 25 and "27 events" in first and "Page 1 of 2" in first
    second = page(admin_client.get(reverse("administration:webhook_deliveries", args=[endpoint.pk]) + "?page=2"))
    assert second.count("data-delivery=") == 2


def test_one_delivery_is_sent_again(admin_client, admin, endpoint):
    delivery = delivery_made(endpoint, status=Delivery.Status.FAILED, tries=[(502, "")])
    response = admin_client.post(reverse("administration:webhook_delivery_replay", args=[delivery.pk]))
    assert response.url == reverse("administration:webhook_deliveries", args=[endpoint.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)
    assert abs(delivery.next_attempt_at - timezone.now()) < dt.timedelta(seconds=5)
    entry = AuditEntry.objects.get(kind=AuditKind.WEBHOOK_DELIVERY_REPLAYED)
    assert entry.before == {"status": "failed"}
    assert entry.after == {"status": "pending", "event": delivery.event.event_id, "type": "escalation.raise"}
    assert admin_client.get(reverse("administration:webhook_delivery_replay", args=[delivery.pk])).status_code == 405


def test_a_time_range_is_sent_again(admin_client, endpoint, travel):
    travel(at(2026, 11, 30, 9, 0))
    inside = [delivery_made(endpoint, at=at(2026, 11, 27, 10, 0), status=Delivery.Status.DELIVERED),
              delivery_made(endpoint, at=at(2026, 11, 27, 12, 30, 40), status=Delivery.Status.FAILED)]
    outside = delivery_made(endpoint, at=at(2026, 11, 27, 12, 31), status=Delivery.Status.DELIVERED)
    form = admin_client.get(reverse("administration:webhook_replay", args=[endpoint.pk]))
    assert 'class="govuk-date-input"' in page(form)
    response = admin_client.post(reverse("administration:webhook_replay", args=[endpoint.pk]), {
        "start_day": "27", "start_month": "11", "start_year": "2026", "start_time": "10:00",
        "end_day": "27", "end_month": "11", "end_year": "2026", "end_time": "12:30pm",
    })
    assert response.status_code == 302
    assert [Delivery.objects.get(pk=d.pk).status for d in inside] == ["pending", "pending"]
    assert Delivery.objects.get(pk=outside.pk).status == "delivered"
    entry = AuditEntry.objects.get(kind=AuditKind.WEBHOOK_DELIVERIES_REPLAYED)
    assert entry.after["deliveries"] == 2 and entry.after["from"] == "2026-11-27T10:00:00+00:00"


@pytest.mark.parametrize(("data", "errors"), [
    ({}, ["start_day", "start_time", "end_day", "end_time"]),
    ({"start_day": "31", "start_month": "2", "start_year": "2026", "start_time": "25:00",
      "end_day": "27", "end_month": "11", "end_year": "2026", "end_time": "10:00"}, ["start_day", "start_time"]),
    ({"start_day": "28", "start_month": "11", "start_year": "2026", "start_time": "10:00",
      "end_day": "27", "end_month": "11", "end_year": "2026", "end_time": "10:00"}, ["end_day"]),
])
def test_a_time_range_with_errors_names_the_field_and_sends_nothing(admin_client, endpoint, travel, data, errors):
    travel(at(2026, 11, 30, 9, 0))
    delivery = delivery_made(endpoint, at=at(2026, 11, 27, 10, 0), status=Delivery.Status.DELIVERED)
    response = admin_client.post(reverse("administration:webhook_replay", args=[endpoint.pk]), data)
    assert response.status_code == 200
    shown = page(response)
    for field in errors:
        assert f'id="id_{field}-error"' in shown, field
    assert shown.count("govuk-error-message") == len(errors)
    assert Delivery.objects.get(pk=delivery.pk).status == "delivered" and not AuditEntry.objects.exists()


def test_another_organisation_s_administrator_finds_nothing_and_changes_nothing(client, endpoint):
    client.force_login(administrator_create(username="stoke-org-admin", organisation="stoke"))
    delivery = delivery_made(endpoint, status=Delivery.Status.FAILED)
    assert endpoint.name not in page(client.get(reverse("administration:webhooks")))
    missing = client.get(reverse("administration:webhook", args=[999_999]))
    for method, name, pk, data in (
        ("get", "administration:webhook", endpoint.pk, {}),
        ("post", "administration:webhook", endpoint.pk, {"name": "Taken", "url": "https://evil.example.org/"}),
        ("post", "administration:webhook_switch", endpoint.pk, {"active": "on"}),
        ("get", "administration:webhook_rotate", endpoint.pk, {}),
        ("post", "administration:webhook_rotate", endpoint.pk, {}),
        ("get", "administration:webhook_deliveries", endpoint.pk, {}),
        ("post", "administration:webhook_replay", endpoint.pk, {}),
        ("post", "administration:webhook_delivery_replay", delivery.pk, {}),
    ):
        response = getattr(client, method)(reverse(name, args=[pk]), data)
        assert response.status_code == 404, (method, name)
        assert fixed(response) == fixed(missing)  # as a missing one
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.active, endpoint.secrets.count()) == ("Mosaic", False, 1)
    assert Delivery.objects.get(pk=delivery.pk).status == "failed" and not AuditEntry.objects.exists()


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-psw", "wiltshire-partnership-admin"])
def test_anyone_who_is_not_an_organisation_administrator_is_refused(client, people, endpoint, username):
    user = people.get(username) or administrator_create(username=username, partnership="wiltshire-partnership")
    client.force_login(user)
    for name, args in (("administration:webhooks", []), ("administration:webhook_add", []),
                       ("administration:webhook", [endpoint.pk]),
                       ("administration:webhook_deliveries", [endpoint.pk])):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("administration:webhook_add"),
                       {"name": "Mine", "url": "https://x.example.org/"}).status_code == 403
    assert client.post(reverse("administration:webhook_rotate", args=[endpoint.pk])).status_code == 403
    assert Endpoint.objects.count() == 1 and endpoint.secrets.count() == 1
    assert AccessEvent.objects.filter(status=403, user=user, object_id="administration:webhooks").exists()
    assert 'href="/administration/webhooks/"' not in page(client.get(reverse("administration:home")))


def test_the_pages_have_no_inline_script_or_style(admin_client, endpoint):
    delivery_made(endpoint, tries=[(500, "")])
    paths = [reverse("administration:webhooks"), reverse("administration:webhook_add"),
             reverse("administration:webhook", args=[endpoint.pk]),
             reverse("administration:webhook_rotate", args=[endpoint.pk]),
             reverse("administration:webhook_deliveries", args=[endpoint.pk]),
             reverse("administration:webhook_replay", args=[endpoint.pk])]
    for path in paths:
        shown = page(admin_client.get(path))
        main = shown[shown.index("<main"):shown.index("</main>")]
        assert "<script" not in main and "style=" not in main and "<style" not in main, path


def test_every_cell_of_the_webhook_tables_is_labelled_for_the_cards_at_320_pixels(admin_client, endpoint):
    from tests.web.test_reflow import _cells

    delivery_made(endpoint, tries=[(500, "")])
    for path in (reverse("administration:webhooks"), reverse("administration:webhook_deliveries", args=[endpoint.pk])):
        cells = _cells(page(admin_client.get(path)))
        assert cells and all(label for _, label, _ in cells), path
