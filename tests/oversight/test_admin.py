"""The systemic issues register in the admin: listed and shown with its history, never changed there."""
import pytest
from django.urls import reverse

from oversight.models import SystemicIssue, SystemicIssueEvent
from oversight.services import systemic_issue_create, systemic_issue_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    admin = django_user_model.objects.create_superuser("site-admin", "admin@example.org", "x-long-pass-2026")
    client.force_login(admin)
    return client


@pytest.fixture
def issue(people):
    issue = systemic_issue_create(
        actor=people["bexley-psw"], kind="it", title="Case system logs workers out",
        description="Notes are lost when the session times out.", owner=people["bexley-head-of-service"],
    )
    return systemic_issue_update(issue=issue, actor=people["bexley-psw"], status="in_progress",
                                 owner=issue.owner, resolution="")


def test_an_issue_is_shown_with_its_history_and_nothing_to_edit(admin_client_, issue):
    response = admin_client_.get(reverse("admin:oversight_systemicissue_change", args=[issue.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "Case system logs workers out" in page
    assert '<input type="text" name="title"' not in page and 'name="_save"' not in page
    [inline] = response.context["inline_admin_formsets"]
    assert inline.formset.queryset.count() == 2  # recorded, then the status change


def test_an_issue_cannot_be_added_changed_or_deleted_in_the_admin(admin_client_, issue, people):
    assert admin_client_.get(reverse("admin:oversight_systemicissue_add")).status_code == 403
    assert admin_client_.post(reverse("admin:oversight_systemicissue_change", args=[issue.pk]), {
        "title": "Renamed", "kind": "other", "status": "resolved", "description": "x",
        "organisation": issue.organisation_id, "owner": people["bexley-director"].pk,
        "raised_by": issue.raised_by_id, "created_at_0": "2026-01-01", "created_at_1": "00:00",
    }).status_code == 403
    assert admin_client_.post(reverse("admin:oversight_systemicissue_delete", args=[issue.pk]),
                              {"post": "yes"}).status_code == 403
    issue.refresh_from_db()
    assert (issue.title, issue.status, issue.owner) == ("Case system logs workers out", "in_progress",
                                                        people["bexley-head-of-service"])
    assert SystemicIssue.objects.filter(pk=issue.pk).exists()


def test_the_history_cannot_be_added_changed_or_deleted_in_the_admin(admin_client_, issue):
    event = issue.events.order_by("pk").first()
    assert admin_client_.get(reverse("admin:oversight_systemicissueevent_add")).status_code == 403
    change = reverse("admin:oversight_systemicissueevent_change", args=[event.pk])
    assert admin_client_.get(change).status_code == 200
    assert admin_client_.post(change, {"kind": "resolution_changed", "params": "{}"}).status_code == 403
    delete = reverse("admin:oversight_systemicissueevent_delete", args=[event.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    event = SystemicIssueEvent.objects.get(pk=event.pk)
    assert event.kind == "created" and event.params["title"] == "Case system logs workers out"


def test_an_issue_in_the_admin_does_not_show_its_escalations_cases(admin_client_, people, raise_escalation):
    """CONTRACT 8.6: platform staff read no case data, not even through the register's links."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-SECRET-1")
    issue = systemic_issue_create(
        actor=people["bexley-psw"], kind="it", title="Linked issue", description="Seen on one case.",
        owner=people["bexley-head-of-service"], escalation_ids=[esc.pk],
    )
    page = admin_client_.get(reverse("admin:oversight_systemicissue_change", args=[issue.pk])).content.decode()
    assert "Linked issue" in page and "LCS-SECRET-1" not in page
