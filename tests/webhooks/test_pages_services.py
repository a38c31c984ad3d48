"""The administrator's writes to webhooks (webhooks/services.py): who may make them, what they refuse, and what
they leave: a secret Standard Webhooks accepts, two valid during a rotation, deliveries waiting to be sent again."""
import base64
import datetime as dt

import pytest
import standardwebhooks
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import ActionNotPermitted
from escalations.actions import logged_as
from escalations.events import ACTION_LABELS, Action
from tests.factories import administrator_create
from tests.webhooks.test_pages_support import delivery_made, signed
from webhooks import services
from webhooks.event_types import EVENT_TYPES
from webhooks.models import Delivery, Endpoint, EndpointSecret

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]


@pytest.fixture
def admin(people):
    return people["bexley-org-admin"]


@pytest.fixture
def endpoint(admin):
    endpoint, _secret = services.endpoint_create(actor=admin, name="Mosaic", url="https://mosaic.example.org/hooks")
    return endpoint


def test_the_event_types_are_the_timeline_s_actions_with_the_timeline_s_words():
    actions = {value for name, value in vars(Action).items() if name.isupper()}
    assert set(EVENT_TYPES) == {f"escalation.{action}" for action in actions}
    for action in actions:
        assert EVENT_TYPES[f"escalation.{action}"] == (logged_as(action) or ACTION_LABELS[action]), action


def test_a_new_endpoint_starts_off_with_one_secret_that_standard_webhooks_accepts(admin):
    endpoint, secret = services.endpoint_create(actor=admin, name="  Liquid   Logic ",
                                                url="https://ll.example.org/in",
                                                kinds=["escalation.respond", "escalation.raise"])
    assert (endpoint.name, endpoint.active, endpoint.organisation_id) == ("Liquid Logic", False, admin.organisation_id)
    assert endpoint.kinds == ["escalation.raise", "escalation.respond"]  # in the list's own order
    assert secret.secret.startswith("whsec_") and len(base64.b64decode(secret.secret.removeprefix("whsec_"))) >= 24
    assert list(endpoint.secrets.all()) == [secret] and secret.expires_at is None
    body = '{"id": "msg_1"}'
    assert standardwebhooks.Webhook(secret.secret).verify(body, signed([secret.secret], body)) == {"id": "msg_1"}
    other = services.endpoint_create(actor=admin, name="Mosaic", url="https://m.example.org/")[1]
    assert other.secret != secret.secret


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://cms.example.org/hooks", True),
    ("http://127.0.0.1:8765/", True),
    ("http://localhost:8765/events", True),
    ("http://[::1]:8765/", True),
    ("http://cms.example.org/hooks", False),
    ("https://user:pass@cms.example.org/", False),
    ("ftp://cms.example.org/", False),
    ("cms.example.org", False),
    ("https://" + "a" * 500 + ".org/", False),
    ("https://" + "a" * 64 + ".org/", False),
    ("https://cms.example.org:99999/", False),
    ("https://[::1/", False),
    ("https://cms example.org/", False),
])
def test_a_url_must_be_https_except_to_this_machine(admin, url, allowed):
    if allowed:
        assert services.endpoint_create(actor=admin, name="CMS", url=url)[0].url == url
    else:
        with pytest.raises(ValidationError) as refused:
            services.endpoint_create(actor=admin, name="CMS", url=url)
        assert list(refused.value.message_dict) == ["url"]
        assert not Endpoint.objects.exists()


def test_plain_http_to_another_host_is_accepted_where_the_setting_allows_it(admin, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert services.endpoint_create(actor=admin, name="Demo", url="http://receiver:8765/")[0].active is False


def test_an_update_changes_the_fields_and_refuses_unknown_kinds_and_a_taken_name(admin, endpoint):
    services.endpoint_create(actor=admin, name="Eclipse", url="https://eclipse.example.org/")
    changed = services.endpoint_update(actor=admin, endpoint=endpoint, name="Mosaic (live)",
                                       url="https://mosaic.example.org/v2", kinds=[],
                                       include_display_name=True, active=True)
    assert (changed.name, changed.url, changed.kinds, changed.include_display_name, changed.active) == (
        "Mosaic (live)", "https://mosaic.example.org/v2", [], True, True)
    with pytest.raises(ValidationError) as refused:
        services.endpoint_update(actor=admin, endpoint=endpoint, name="eclipse", url="https://x.example.org/",
                                 kinds=["escalation.raise", "escalation.nothing"], include_display_name=False,
                                 active=False)
    assert set(refused.value.message_dict) == {"name", "kinds"}
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.active) == ("Mosaic (live)", True)


def test_nobody_but_the_organisation_s_administrator_manages_its_endpoints(people, admin, endpoint):
    stoke_admin = administrator_create(username="stoke-org-admin", organisation="stoke")
    for outsider in (people["bexley-practitioner"], people["bexley-psw"], stoke_admin):
        with pytest.raises(ActionNotPermitted):
            services.secret_rotate(actor=outsider, endpoint=endpoint)
        with pytest.raises(ActionNotPermitted):
            services.endpoint_switch(actor=outsider, endpoint=endpoint, active=True)
    with pytest.raises(ActionNotPermitted):
        services.endpoint_create(actor=people["bexley-practitioner"], name="Mine", url="https://x.example.org/")
    assert endpoint.secrets.count() == 1 and not Endpoint.objects.get(pk=endpoint.pk).active


def test_a_rotation_keeps_the_old_secret_valid_for_24_hours_and_ends_any_older_one(admin, endpoint, travel):
    first = endpoint.secrets.get()
    travel(timezone.now())
    second = services.secret_rotate(actor=admin, endpoint=endpoint)
    first.refresh_from_db()
    assert list(services.secrets_valid(endpoint=endpoint)) == [second, first]
    assert first.expires_at == second.created_at + dt.timedelta(hours=24)

    body = '{"type": "escalation.raise"}'
    both = signed([secret.secret for secret in services.secrets_valid(endpoint=endpoint)], body)
    for secret in (first, second):  # the receiver changes over in its own time: either secret verifies
        assert standardwebhooks.Webhook(secret.secret).verify(body, both)

    travel(timezone.now() + dt.timedelta(hours=1))
    third = services.secret_rotate(actor=admin, endpoint=endpoint)
    first.refresh_from_db(), second.refresh_from_db()
    assert first.expires_at <= timezone.now() and second.expires_at == third.created_at + dt.timedelta(hours=24)
    assert list(services.secrets_valid(endpoint=endpoint)) == [third, second]

    travel(timezone.now() + dt.timedelta(hours=24, minutes=1))
    assert list(services.secrets_valid(endpoint=endpoint)) == [third]
    only_new = signed([secret.secret for secret in services.secrets_valid(endpoint=endpoint)], body)
    assert standardwebhooks.Webhook(third.secret).verify(body, only_new)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(second.secret).verify(body, only_new)
    assert EndpointSecret.objects.filter(endpoint=endpoint).count() == 3


def test_sending_one_again_makes_it_wait_due_now_with_its_tries_kept(admin, endpoint):
    delivery = delivery_made(endpoint, status=Delivery.Status.FAILED, tries=[(500, ""), (None, "timed out")])
    replayed = services.delivery_replay(actor=admin, delivery=delivery)
    assert (replayed.status, replayed.attempts, replayed.delivered_at) == (Delivery.Status.PENDING, 0, None)
    assert abs(replayed.next_attempt_at - timezone.now()) < dt.timedelta(seconds=5)
    assert replayed.tries.count() == 2


def test_sending_a_range_again_takes_the_events_made_in_it_and_only_the_endpoint_s(admin, endpoint):
    other, _ = services.endpoint_create(actor=admin, name="Eclipse", url="https://eclipse.example.org/")
    noon = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    before = delivery_made(endpoint, at=noon - dt.timedelta(seconds=1), status=Delivery.Status.DELIVERED)
    first = delivery_made(endpoint, at=noon, status=Delivery.Status.DELIVERED)
    last = delivery_made(endpoint, at=noon + dt.timedelta(hours=1), status=Delivery.Status.FAILED)
    elsewhere = delivery_made(other, at=noon + dt.timedelta(minutes=5), status=Delivery.Status.DELIVERED)
    count = services.deliveries_replay_range(actor=admin, endpoint=endpoint, start=noon,
                                             end=noon + dt.timedelta(hours=1))
    assert count == 2
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {before.pk: "delivered", first.pk: "pending", last.pk: "pending", elsewhere.pk: "delivered"}


@pytest.mark.parametrize(("start", "end", "fields"), [
    (None, None, {"start", "end"}),
    (dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC), {"end"}),
    (dt.datetime(2999, 1, 1, tzinfo=dt.UTC), dt.datetime(2999, 1, 2, tzinfo=dt.UTC), {"start"}),
])
def test_a_range_without_its_ends_or_backwards_is_refused_on_the_field(admin, endpoint, start, end, fields):
    delivery = delivery_made(endpoint, status=Delivery.Status.DELIVERED)
    with pytest.raises(ValidationError) as refused:
        services.deliveries_replay_range(actor=admin, endpoint=endpoint, start=start, end=end)
    assert set(refused.value.message_dict) == fields
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
