"""A case-management system on the API with its organisation's service token: what each scope lets it do, for
its own organisation only, and the access log row of each use."""
import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.settings import api_settings

from audit.models import AccessEvent, Action, Outcome
from cases.models import Case
from escalations.models import Escalation, TimelineEntry
from identity.models import Scope, ServiceToken
from identity.service_tokens import service_token_revoke
from policies.models import Ladder

pytestmark = pytest.mark.django_db

BODY = {
    "risk_level": "standard",
    "decision_challenged": "Case closed to early help.",
    "concern": "Risk not reassessed.",
    "basis": "professional_judgement",
    "desired_outcome": "Reassess before closing.",
}


def raise_body(reference: str, ladder: str = "bexley-internal", **fields) -> dict:
    category = Ladder.objects.current().get(slug=ladder).categories.first().slug
    return {**BODY, "case": reference, "ladder": ladder, "category": category, **fields}


def rows(**filters) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(**filters).order_by("pk"))


# --- cases:create -------------------------------------------------------------------------------------------
def test_a_case_is_registered_in_the_token_s_organisation_and_the_child_s_name_is_not_read_back(make_token, bearer):
    token, key = make_token("bexley", Scope.CASES_CREATE)
    response = bearer(key).post("/api/v1/cases/", {"reference": "LCS-104233", "display_name": "A.B."})
    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == "bexley" and response.json()["display_name"] == ""
    case = Case.objects.get(reference="LCS-104233")
    assert case.organisation.slug == "bexley" and case.display_name == "A.B."
    again = bearer(key).post("/api/v1/cases/", {"reference": "LCS-104233"})
    assert again.status_code == 200 and Case.objects.filter(reference="LCS-104233").count() == 1
    written = rows(action=Action.SERVICE_WRITE)
    assert [(row.object_kind, row.object_id, row.detail["created"]) for row in written] == [
        ("case", str(case.pk), True), ("case", str(case.pk), False)]
    assert {(row.user_id, row.username, row.organisation_id, row.detail["service_token"]) for row in written} == {
        (None, f"service token {token.prefix} (Mosaic)", token.organisation_id, token.pk)}
    assert all(row.address == "127.0.0.1" and row.path == "/api/v1/cases/" for row in written)


def test_the_allocated_worker_must_be_an_active_member_of_the_token_s_organisation(make_token, bearer):
    _, key = make_token("bexley", Scope.CASES_CREATE)
    refused = bearer(key).post("/api/v1/cases/", {"reference": "LCS-1", "allocated_worker": "stoke-social-worker"})
    assert refused.status_code == 400 and set(refused.json()) == {"allocated_worker"}
    allowed = bearer(key).post("/api/v1/cases/", {"reference": "LCS-1", "allocated_worker": "bexley-practitioner"})
    assert allowed.status_code == 201 and allowed.json()["allocated_worker"] == "bexley-practitioner"


# --- escalations:read ---------------------------------------------------------------------------------------
@pytest.fixture
def three(raise_escalation):
    """Bexley's own escalation, a Wiltshire multi-agency one raised by Puddleducks, and Stoke's."""
    return {
        "bexley": raise_escalation("bexley-practitioner", "bexley-internal"),
        "wiltshire": raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"),
        "stoke": raise_escalation("stoke-crm", "stoke-crm"),
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_reading_lists_the_escalations_its_organisation_raised_or_received(make_token, bearer, three):
    assert _ids(bearer(make_token("bexley", Scope.ESCALATIONS_READ)[1]).get("/api/v1/escalations/")) == {
        three["bexley"].pk}
    assert _ids(bearer(make_token("wiltshire", Scope.ESCALATIONS_READ)[1]).get("/api/v1/escalations/")) == {
        three["wiltshire"].pk}  # received
    assert _ids(bearer(make_token("puddleducks", Scope.ESCALATIONS_READ)[1]).get("/api/v1/escalations/")) == {
        three["wiltshire"].pk}  # raised


def test_another_organisation_s_escalation_is_not_found_exactly_as_a_missing_one(make_token, bearer, three):
    client = bearer(make_token("bexley", Scope.ESCALATIONS_READ)[1])
    own = client.get(f"/api/v1/escalations/{three['bexley'].pk}/")
    assert own.status_code == 200 and own.json()["case"] == three["bexley"].case.reference
    assert own.json()["allowed_actions"] == []  # a token takes no action
    hidden = client.get(f"/api/v1/escalations/{three['stoke'].pk}/")
    missing = client.get("/api/v1/escalations/999999/")
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content) == (404, missing.content)


def test_each_read_is_in_the_access_log_under_the_token(make_token, bearer, three):
    token, key = make_token("bexley", Scope.ESCALATIONS_READ)
    client = bearer(key)
    client.get("/api/v1/escalations/")
    client.get(f"/api/v1/escalations/{three['bexley'].pk}/")
    client.get(f"/api/v1/escalations/{three['stoke'].pk}/")
    logged = rows(detail__service_token=token.pk)
    assert [(row.action, row.outcome, row.escalation_id) for row in logged] == [
        (Action.EXPORTED, Outcome.ALLOWED, three["bexley"].pk),
        (Action.ESCALATION_VIEWED, Outcome.ALLOWED, three["bexley"].pk),
        (Action.REFUSED, Outcome.NOT_FOUND, three["stoke"].pk),
    ]
    assert {row.username for row in logged} == {f"service token {token.prefix} (Mosaic)"}
    assert all(row.user_id is None for row in logged)


def test_holder_me_and_raised_by_me_find_nothing_for_a_token(make_token, bearer, three):
    client = bearer(make_token("bexley", Scope.ESCALATIONS_READ)[1])
    assert _ids(client.get("/api/v1/escalations/", {"holder": "me"})) == set()
    assert _ids(client.get("/api/v1/escalations/", {"raised_by": "me"})) == set()
    assert _ids(client.get("/api/v1/escalations/", {"state": "open"})) == {three["bexley"].pk}


# --- escalations:raise --------------------------------------------------------------------------------------
def test_a_token_raises_on_behalf_of_a_named_member_of_its_staff(make_token, bearer, people):
    token, key = make_token("bexley", Scope.CASES_CREATE, Scope.ESCALATIONS_RAISE)
    client = bearer(key)
    assert client.post("/api/v1/cases/", {"reference": "LCS-555"}).status_code == 201
    response = client.post("/api/v1/escalations/", raise_body("LCS-555", raiser="bexley-practitioner"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["raised_by"] == "bexley-practitioner" and body["holder"] == "bexley-team-manager"
    assert body["allowed_actions"] == []
    escalation = Escalation.objects.get(pk=body["id"])
    assert escalation.raised_by == people["bexley-practitioner"] and escalation.raising_organisation.slug == "bexley"
    raised = TimelineEntry.objects.get(escalation=escalation, action="raise")
    assert raised.actor == people["bexley-practitioner"]
    assert raised.params["through"] == f"service_token:{token.prefix}"
    # The raiser sees it as their own, and the page says it came through the system.
    assert Escalation.objects.visible_to(people["bexley-practitioner"]).filter(pk=escalation.pk).exists()
    written = rows(action=Action.SERVICE_WRITE, object_kind="escalation")
    assert [(row.escalation_id, row.detail["raised_on_behalf_of"], row.detail["service_token"]) for row in written] == [
        (escalation.pk, people["bexley-practitioner"].pk, token.pk)]


def test_the_page_of_an_escalation_raised_through_a_token_says_so(make_token, bearer, people, client):
    _, key = make_token("bexley", Scope.CASES_CREATE, Scope.ESCALATIONS_RAISE)
    bearer(key).post("/api/v1/cases/", {"reference": "LCS-556"})
    escalation_id = bearer(key).post("/api/v1/escalations/", raise_body("LCS-556", raiser="bexley-practitioner")
                                     ).json()["id"]
    client.force_login(people["bexley-practitioner"])
    page = client.get(reverse("escalations:detail", args=[escalation_id])).content.decode()
    assert "through the case-management system" in page


@pytest.mark.parametrize("raiser", [
    "stoke-social-worker",  # another organisation's
    "bexley-org-admin",  # an administrator may not raise
    "nobody-at-all",  # no such account
    "bexley-gone",  # switched off
])
def test_only_an_active_member_of_its_organisation_who_may_raise_is_a_raiser_and_all_others_alike(
        make_token, bearer, people, raiser):
    from tests.factories import UserFactory

    UserFactory(username="bexley-gone", organisation=people["bexley-practitioner"].organisation, is_active=False)
    _, key = make_token("bexley", Scope.CASES_CREATE, Scope.ESCALATIONS_RAISE)
    bearer(key).post("/api/v1/cases/", {"reference": "LCS-557"})
    response = bearer(key).post("/api/v1/escalations/", raise_body("LCS-557", raiser=raiser))
    assert response.status_code == 400
    assert response.json() == {"raiser": ["No active member of the token's organisation who may raise has this "
                                          "username."]}
    assert not Escalation.objects.exists()


def test_a_token_must_name_the_raiser(make_token, bearer):
    _, key = make_token("bexley", Scope.CASES_CREATE, Scope.ESCALATIONS_RAISE)
    bearer(key).post("/api/v1/cases/", {"reference": "LCS-558"})
    response = bearer(key).post("/api/v1/escalations/", raise_body("LCS-558"))
    assert response.status_code == 400 and set(response.json()) == {"raiser"}


def test_a_person_cannot_raise_in_someone_else_s_name(people, api_as):
    client = api_as("bexley-team-manager")
    client.post("/api/v1/cases/", {"reference": "LCS-559"})
    response = client.post("/api/v1/escalations/", raise_body("LCS-559", raiser="bexley-practitioner"))
    assert response.status_code == 400 and set(response.json()) == {"raiser"}
    assert not Escalation.objects.exists()


@pytest.fixture
def api_as(people):
    from rest_framework.test import APIClient

    def go(username):
        client = APIClient()
        client.force_authenticate(people[username])
        return client

    return go


# --- scopes, expiry, revocation ----------------------------------------------------------------------------
def test_a_scope_the_token_lacks_is_refused_403(make_token, bearer, three):
    client = bearer(make_token("bexley", Scope.ESCALATIONS_READ)[1])
    refused = client.post("/api/v1/cases/", {"reference": "LCS-1"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This API token does not have the scope cases:create."}
    assert client.post("/api/v1/escalations/", raise_body("LCS-1", raiser="bexley-practitioner")).json() == {
        "detail": "This API token does not have the scope escalations:raise."}
    writer = bearer(make_token("bexley", Scope.CASES_CREATE)[1])
    assert writer.get("/api/v1/escalations/").status_code == 403
    assert writer.get(f"/api/v1/escalations/{three['bexley'].pk}/").status_code == 403
    # Listing cases is no scope at all.
    assert bearer(make_token("bexley")[1]).get("/api/v1/cases/").json() == {"detail": "An API token may not do this."}
    assert not Case.objects.filter(reference="LCS-1").exists()


def test_an_expired_token_is_401_with_the_reason_and_logged(make_token, bearer, travel):
    token, key = make_token("bexley", days=1)
    assert bearer(key).get("/api/v1/escalations/").status_code == 200
    travel(token.expires_at + dt.timedelta(seconds=1))
    response = bearer(key).get("/api/v1/escalations/")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This API token expired at the end of ")
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    refused = AccessEvent.objects.get(action=Action.REFUSED, status=401)
    assert (refused.object_kind, refused.object_id, refused.organisation_id, refused.detail["reason"]) == (
        "service_token", str(token.pk), token.organisation_id, "expired")
    assert refused.username.startswith(f"service token {token.prefix}")


def test_a_revoked_token_is_401_at_once(make_token, bearer):
    token, key = make_token("bexley")
    assert bearer(key).get("/api/v1/escalations/").status_code == 200
    service_token_revoke(token=token)
    response = bearer(key).get("/api/v1/escalations/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert AccessEvent.objects.get(action=Action.REFUSED, status=401).detail["reason"] == "revoked"


def test_an_unknown_token_is_401(bearer, people):
    response = bearer("etcms_" + "x" * 43).get("/api/v1/escalations/")
    assert response.status_code == 401 and response.json() == {"detail": "Unknown API token."}


def test_the_key_is_kept_only_as_its_hash_and_its_use_is_noted(make_token, bearer):
    token, key = make_token("bexley")
    assert key.startswith("etcms_") and len(key) == 49 and token.prefix == key[:14]
    stored = ServiceToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(value) for value in ServiceToken.objects.values_list(*[
        f.attname for f in ServiceToken._meta.concrete_fields]).get()}
    assert stored.last_used_at is None
    bearer(key).get("/api/v1/escalations/")
    assert ServiceToken.objects.get(pk=token.pk).last_used_at is not None


def test_each_token_is_throttled_on_its_own(make_token, bearer, monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "service_token", "2/minute")
    first, second = bearer(make_token("bexley")[1]), bearer(make_token("bexley", name="Eclipse")[1])
    assert [first.get("/api/v1/escalations/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/escalations/").status_code == 200


def test_the_token_s_last_day_is_at_most_a_year_ahead(people):
    from django.core.exceptions import ValidationError

    from identity.service_tokens import service_token_create

    organisation = people["bexley-practitioner"].organisation
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        service_token_create(organisation=organisation, name="Mosaic", scopes=[Scope.ESCALATIONS_READ],
                             last_day=today + dt.timedelta(days=366))
    assert set(refused.value.message_dict) == {"last_day"}
    with pytest.raises(ValidationError) as refused:
        service_token_create(organisation=organisation, name="", scopes=["escalations:write"], last_day=today)
    assert set(refused.value.message_dict) == {"name", "scopes", "last_day"}
    token, _ = service_token_create(organisation=organisation, name="Mosaic", scopes=[Scope.ESCALATIONS_READ],
                                    last_day=today + dt.timedelta(days=365))
    assert timezone.localtime(token.expires_at).date() == today + dt.timedelta(days=366)
    assert timezone.localtime(token.expires_at).time() == dt.time(0, 0)
