"""GET /api/v1/notifications/ and POST /api/v1/notifications/{id}/read/: a person's own, only."""
import pytest

from notifications.models import Notification
from tests.api.conftest import results

pytestmark = pytest.mark.django_db


def test_the_holder_is_told_an_escalation_was_raised(api, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    mine = results(api("bexley-team-manager").get("/api/v1/notifications/"))
    assert [(n["kind"], n["escalation"], n["read"]) for n in mine] == [("escalation_raised", esc.pk, False)]
    assert {"id", "kind", "escalation", "created_at", "read", "message"} <= set(mine[0])
    assert "+00:00" in mine[0]["created_at"] or "+01:00" in mine[0]["created_at"]


def test_nobody_sees_anyone_elses_notifications(api, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    assert results(api("stoke-crm").get("/api/v1/notifications/")) == []
    assert results(api("bexley-practitioner").get("/api/v1/notifications/")) == []


def test_marking_one_read_answers_it_read(api, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    client = api("bexley-team-manager")
    notification = results(client.get("/api/v1/notifications/"))[0]
    response = client.post(f"/api/v1/notifications/{notification['id']}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert Notification.objects.get(pk=notification["id"]).read_at is not None
    assert client.post(f"/api/v1/notifications/{notification['id']}/read/").status_code == 200


def test_someone_elses_notification_cannot_be_marked_read_and_looks_missing(api, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    notification = Notification.objects.get(recipient__username="bexley-team-manager")
    client = api("bexley-practitioner")
    theirs = client.post(f"/api/v1/notifications/{notification.pk}/read/")
    missing = client.post(f"/api/v1/notifications/{notification.pk + 1000}/read/")
    assert theirs.status_code == missing.status_code == 404 and theirs.content == missing.content
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_the_unread_ones_can_be_listed_alone(api, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    raise_escalation("bexley-practitioner", "bexley-internal")
    client = api("bexley-team-manager")
    first = results(client.get("/api/v1/notifications/"))[0]
    client.post(f"/api/v1/notifications/{first['id']}/read/")
    unread = results(client.get("/api/v1/notifications/", {"read": "false"}))
    read = results(client.get("/api/v1/notifications/", {"read": "true"}))
    assert [n["id"] for n in read] == [first["id"]] and first["id"] not in [n["id"] for n in unread]
    assert len(unread) == 1


def test_the_notification_list_is_paginated_and_takes_a_fixed_number_of_queries(api, raise_escalation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api("bexley-team-manager")

    def queries() -> int:
        client.get("/api/v1/notifications/")
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/api/v1/notifications/").json()
        assert set(body) == {"count", "next", "previous", "results"}
        return len(captured)

    raise_escalation("bexley-practitioner", "bexley-internal")
    one = queries()
    for _ in range(4):
        raise_escalation("bexley-practitioner", "bexley-internal")
    assert queries() == one
