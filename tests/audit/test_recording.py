"""Every view of an escalation, its record or an attachment, every export, every refused access and every
administrative change leaves a row in the access log: who, what, when (UTC), from where, and the outcome."""
import datetime as dt

from django.test import Client
from django.urls import reverse

from audit.models import AccessEvent
from organisations.models import User


def _client(user: User, **defaults) -> Client:
    client = Client(**defaults)
    client.force_login(user)
    return client


def test_a_view_of_the_escalation_page_is_recorded_with_who_what_when_and_where(raise_escalation, people, rows):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    before = dt.datetime.now(dt.UTC)
    response = _client(people["bexley-team-manager"]).get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    [row] = rows()
    assert row["user__username"] == row["username"] == "bexley-team-manager"
    assert (row["action"], row["outcome"], row["object_kind"], row["object_id"]) == (
        "escalation_viewed", "allowed", "escalation", str(escalation.pk))
    assert (row["escalation_id"], row["organisation__slug"]) == (escalation.pk, "bexley")
    assert (row["address"], row["method"], row["path"]) == ("127.0.0.1", "GET", f"/escalations/{escalation.pk}/")
    assert row["at"].utcoffset() == dt.timedelta(0) and before <= row["at"] <= dt.datetime.now(dt.UTC)


def test_the_written_record_and_an_attachment_download_are_recorded(attachment, people, rows):
    client = _client(people["bexley-team-manager"])
    assert client.get(reverse("escalations:record", args=[attachment.escalation_id])).status_code == 200
    response = client.get(reverse("escalations:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert [(r["action"], r["object_kind"], r["object_id"], r["escalation_id"]) for r in rows()] == [
        ("record_viewed", "escalation", str(attachment.escalation_id), attachment.escalation_id),
        ("attachment_downloaded", "attachment", str(attachment.pk), attachment.escalation_id),
    ]


def test_the_address_is_the_forwarded_one_only_behind_a_trusted_proxy(raise_escalation, people, rows, settings):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    url = reverse("escalations:detail", args=[escalation.pk])
    forged = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    _client(people["bexley-team-manager"]).get(url, **forged)
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    _client(people["bexley-team-manager"]).get(url, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert [r["address"] for r in rows()] == ["198.51.100.7", "203.0.113.9"]


def test_a_hidden_escalation_is_a_refusal_filed_under_its_organisation(raise_escalation, people, rows):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    client = _client(people["stoke-social-worker"])
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 404
    assert client.get(reverse("escalations:record", args=[999_999])).status_code == 404
    assert client.get("/escalations/no-such-page/").status_code == 404  # an address about no object: not recorded
    hidden, missing = rows()
    assert (hidden["action"], hidden["outcome"], hidden["status"], hidden["username"]) == (
        "refused", "not_found", 404, "stoke-social-worker")
    assert (hidden["escalation_id"], hidden["organisation__slug"]) == (escalation.pk, "bexley")
    assert (missing["object_kind"], missing["object_id"], missing["escalation_id"], missing["organisation__slug"]) == (
        "escalation", "999999", None, None)


def test_a_forbidden_action_and_a_forbidden_page_are_refusals(raise_escalation, people, rows):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    raiser = _client(people["bexley-practitioner"])
    response = raiser.post(reverse("escalations:respond", args=[escalation.pk]), {"respond-version": 1})
    assert response.status_code == 403
    assert _client(people["bexley-practitioner"]).get(reverse("oversight:psw_overview")).status_code == 403
    action_refused, page_refused = rows(action="refused")
    assert (action_refused["outcome"], action_refused["escalation_id"], action_refused["method"]) == (
        "forbidden", escalation.pk, "POST")
    assert (page_refused["object_kind"], page_refused["object_id"], page_refused["organisation__slug"]) == (
        "page", "oversight:psw_overview", "bexley")


def test_the_api_records_reads_lists_and_refusals(raise_escalation, people, rows):
    from rest_framework.test import APIClient

    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    other = raise_escalation("bexley-practitioner", "bexley-internal")
    client = APIClient()
    client.force_authenticate(people["bexley-team-manager"])
    assert client.get(f"/api/v1/escalations/{escalation.pk}/").status_code == 200
    assert client.get("/api/v1/escalations/").status_code == 200
    outsider = APIClient()
    outsider.force_authenticate(people["stoke-social-worker"])
    assert outsider.get(f"/api/v1/escalations/{escalation.pk}/").status_code == 404
    assert [(r["username"], r["action"], r["escalation_id"], r["detail"].get("via")) for r in rows()] == [
        ("bexley-team-manager", "escalation_viewed", escalation.pk, "api"),
        ("bexley-team-manager", "exported", other.pk, "api_list"),
        ("bexley-team-manager", "exported", escalation.pk, "api_list"),
        ("stoke-social-worker", "refused", escalation.pk, None),
    ]


def test_every_export_of_the_themes_report_is_recorded(people, rows):
    psw = _client(people["bexley-psw"])
    report = psw.get("/api/v1/reports/themes/")
    assert report.status_code == 200
    table = report.json()["tables"][0]["name"]
    assert psw.get(reverse("reports:themes_csv"), {"table": table}).status_code == 200
    assert psw.get(reverse("reports:themes_print")).status_code == 200
    exports = rows(action="exported")
    assert [r["detail"]["via"] for r in exports] == ["api", "csv", "print"]
    assert {(r["object_kind"], r["object_id"], r["organisation__slug"]) for r in exports} == {
        ("themes_report", "organisation:bexley", "bexley")}
    assert exports[1]["detail"]["table"] == table


def test_an_administrators_change_is_linked_to_its_audit_entry_with_where_it_came_from(people, rows):
    from administration.models import AuditEntry

    admin = _client(people["bexley-org-admin"], REMOTE_ADDR="192.0.2.44")
    response = admin.post(reverse("administration:teams"), {"name": "Fostering"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(kind="team_created")
    [row] = rows(action="administrative_change")
    assert (row["username"], row["object_kind"], row["object_id"], row["organisation__slug"], row["address"]) == (
        "bexley-org-admin", "audit_entry", str(entry.pk), "bexley", "192.0.2.44")
    assert row["detail"] == {"via": "administration", "kinds": ["team_created"]}


def test_a_change_in_the_django_admin_is_recorded(people, rows, db):
    from organisations.models import Team

    superuser = User.objects.create_superuser("platform-root", "root@example.org", "a long enough password")
    team = Team.objects.create(organisation=people["bexley-practitioner"].organisation, name="Duty")
    client = _client(superuser, REMOTE_ADDR="192.0.2.9")
    url = reverse("admin:organisations_team_change", args=[team.pk])
    form = client.get(url).context["adminform"].form
    data = {name: (value.pk if hasattr(value, "pk") else value) for name, value in form.initial.items()
            if value is not None}
    data["name"] = "Duty and assessment"
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    [row] = rows(action="administrative_change")
    assert (row["username"], row["object_kind"], row["object_id"], row["address"]) == (
        "platform-root", "organisations.team", str(team.pk), "192.0.2.9")
    assert row["detail"]["via"] == "django_admin" and row["detail"]["flag"] == "changed"


def test_attachments_and_systemic_issues_are_not_deleted_in_the_admin_and_any_deletion_is_recorded(
        attachment, people, rows, demo):
    from escalations.models import Attachment
    from oversight.models import SystemicIssue

    superuser = User.objects.create_superuser("platform-root", "root@example.org", "a long enough password")
    issue = SystemicIssue.objects.filter(organisation__slug="bexley").first()
    client = _client(superuser)
    assert client.post(reverse("admin:oversight_systemicissue_delete", args=[issue.pk]), {"post": "yes"}
                       ).status_code == 403
    assert SystemicIssue.objects.filter(pk=issue.pk).exists()
    assert [(r["action"], r["outcome"]) for r in rows()] == [("refused", "forbidden")]
    # A deletion some other way (a shell, a future admin page) is recorded with what it was.
    Attachment.objects.filter(pk=attachment.pk).delete()
    [deleted] = rows(action="deleted")
    assert (deleted["object_kind"], deleted["object_id"], deleted["escalation_id"], deleted["organisation__slug"]) == (
        "attachment", str(attachment.pk), attachment.escalation_id, "bexley")
    assert deleted["detail"] == {"model": "escalations.Attachment"}


def test_the_escalation_page_writes_its_row_in_one_statement(raise_escalation, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    client = _client(people["bexley-team-manager"])
    url = reverse("escalations:detail", args=[escalation.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_accessevent"')]
    assert len(inserts) == 1
    assert AccessEvent.objects.count() == 2


def test_the_cases_api_list_records_each_case_it_shows(raise_escalation, people, rows):
    from rest_framework.test import APIClient

    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    client = APIClient()
    client.force_authenticate(people["bexley-team-manager"])
    listed = client.get("/api/v1/cases/").json()["results"]
    assert escalation.case.reference in [case["reference"] for case in listed]

    recorded = rows(action="exported")
    assert len(recorded) == len(listed)
    assert {(r["username"], r["object_kind"], r["organisation__slug"], r["detail"]["via"]) for r in recorded} == {
        ("bexley-team-manager", "case", "bexley", "api_cases")}
    assert str(escalation.case.pk) in {r["object_id"] for r in recorded}
    # A search that finds nothing shows no case and records none.
    assert client.get("/api/v1/cases/", {"reference": "NO-SUCH-CASE"}).json()["results"] == []
    assert len(rows(action="exported")) == len(listed)
