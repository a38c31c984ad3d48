"""The Django admin: lists to manage the set-up, an escalation's timeline shown and never edited,
and ladder edits that become new versions while live escalations keep theirs."""
import re

import pytest
from django.urls import reverse

from escalations.models import Escalation, TimelineEntry
from policies.models import Ladder
from tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model, ladders):
    admin = django_user_model.objects.create_superuser("site-admin", "admin@example.org", "x-long-pass-2026")
    client.force_login(admin)
    return client


def _post_data(response) -> dict[str, str]:
    """The change form as the browser would send it back unchanged: the main form, then every inline."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, str] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None:
                data[bound.html_name] = ""
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            else:
                data[bound.html_name] = str(value)
    return data


# --- lists ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [
    "organisations/organisation", "organisations/partnership", "organisations/user", "organisations/team",
    "organisations/closureday", "policies/ladder", "escalations/escalation", "escalations/timelineentry",
    "oversight/systemicissue", "oversight/systemicissueevent", "django_celery_beat/periodictask",
    "django_celery_beat/intervalschedule",
])
def test_admin_lists_and_searches_the_set_up(admin_client_, demo, model):
    url = f"/admin/{model}/"
    assert admin_client_.get(url).status_code == 200
    assert admin_client_.get(url, {"q": "bexley"}).status_code == 200


def test_ladder_list_shows_versions_owner_and_timescale(admin_client_):
    html = admin_client_.get("/admin/policies/ladder/").content.decode()
    assert "stoke-crm" in html and "20 (overall, from stage 1)" in html
    assert "London Borough of Bexley Children" in html


def test_escalation_list_filters_overdue(admin_client_, demo):
    response = admin_client_.get("/admin/escalations/escalation/", {"overdue": "yes"})
    assert response.status_code == 200
    shown = response.context["cl"].result_count
    assert shown == Escalation.objects.overdue().count() and shown > 0


# --- the escalation's timeline is read-only ------------------------------------------------------------
def test_escalation_page_shows_the_timeline_without_any_field_to_edit(admin_client_, raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    response = admin_client_.get(reverse("admin:escalations_escalation_change", args=[esc.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Risk not reassessed." in html  # the raise entry's note
    assert "bexley-practitioner" in html
    fields = re.findall(r'<(?:input|textarea|select)\b[^>]*name="(?:timeline|participants)-[^>]*>', html)
    assert fields and all('type="hidden"' in field for field in fields)  # formset bookkeeping only
    assert "<textarea" not in html
    assert 'name="_save"' not in html  # view only: there is no save button


def test_posting_the_escalation_form_is_refused_and_changes_nothing(admin_client_, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    entry = esc.timeline.get()
    response = admin_client_.post(reverse("admin:escalations_escalation_change", args=[esc.pk]), {
        "state": "resolved", "timeline-TOTAL_FORMS": "1", "timeline-INITIAL_FORMS": "1",
        "timeline-0-id": str(entry.pk), "timeline-0-note": "rewritten", "timeline-0-action": "respond",
    })
    assert response.status_code == 403
    entry.refresh_from_db()
    esc.refresh_from_db()
    assert (entry.note, entry.action, esc.state) == ("Risk not reassessed.", "raise", "open")


def test_a_timeline_entry_cannot_be_changed_or_deleted_in_the_admin(admin_client_, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    entry = esc.timeline.get()
    change = reverse("admin:escalations_timelineentry_change", args=[entry.pk])
    assert admin_client_.get(change).status_code == 200  # it may be read
    assert admin_client_.post(change, {"note": "rewritten"}).status_code == 403
    delete = reverse("admin:escalations_timelineentry_delete", args=[entry.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    assert TimelineEntry.objects.get(pk=entry.pk).note == "Risk not reassessed."


def test_escalations_cannot_be_added_or_deleted_in_the_admin(admin_client_, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert admin_client_.get(reverse("admin:escalations_escalation_add")).status_code == 403
    assert admin_client_.post(reverse("admin:escalations_escalation_delete", args=[esc.pk]),
                              {"post": "yes"}).status_code == 403
    assert Escalation.objects.filter(pk=esc.pk).exists()


# --- ladder edits make versions ------------------------------------------------------------------------
def test_editing_a_ladder_in_the_admin_makes_version_2_and_live_escalations_keep_version_1(
        admin_client_, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    live = raise_escalation("bexley-practitioner", "bexley-internal")
    assert live.stage_deadline == at(2026, 11, 11, 17, 0)  # stage 0: one working day
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    url = reverse("admin:policies_ladder_change", args=[ladder.pk])
    data = _post_data(admin_client_.get(url))
    stage_0 = next(k for k, v in data.items() if k.startswith("stages-") and k.endswith("-index") and v == "0")
    data[stage_0.replace("-index", "-working_days")] = "3"
    data["_save"] = "Save"

    response = admin_client_.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    current = Ladder.objects.current().get(slug="bexley-internal")
    assert (current.pk, current.version) == (ladder.pk, 2)
    assert current.stage(0).working_days == 3
    live.refresh_from_db()
    assert live.ladder_id != ladder.pk
    assert (live.ladder.version, live.ladder.is_current) == (1, False)
    assert live.ladder.stage(0).working_days == 1
    assert live.stage_deadline == at(2026, 11, 11, 17, 0)
    assert list(Ladder.objects.filter(slug="bexley-internal").values_list("version", flat=True)) == [2, 1]


def test_an_admin_edit_writes_the_kept_version_on_each_escalations_timeline(
        admin_client_, raise_escalation, people, travel):
    travel(at(2026, 11, 10, 10, 0))
    live = raise_escalation("bexley-practitioner", "bexley-internal")
    other = raise_escalation("stoke-crm", "stoke-crm")
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    url = reverse("admin:policies_ladder_change", args=[ladder.pk])

    assert admin_client_.post(url, _post_data(admin_client_.get(url))).status_code == 302

    entry = live.timeline.order_by("at", "pk").last()
    assert (entry.action, entry.actor.username, entry.from_state, entry.to_state) == (
        "ladder_version_changed", "site-admin", "open", "open")
    assert entry.note == ("Bexley internal escalation procedure was edited (now version 2); this escalation "
                          "keeps the rules of version 1.")
    assert not other.timeline.filter(action="ladder_version_changed").exists()
    page = admin_client_.get(reverse("admin:escalations_escalation_change", args=[live.pk])).content.decode()
    assert "ladder_version_changed" in page and "keeps the rules of version 1" in page


def test_a_new_escalation_is_raised_on_the_new_version(admin_client_, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    url = reverse("admin:policies_ladder_change", args=[ladder.pk])
    data = _post_data(admin_client_.get(url))
    stage_0 = next(k for k, v in data.items() if k.startswith("stages-") and k.endswith("-index") and v == "0")
    data[stage_0.replace("-index", "-working_days")] = "3"
    admin_client_.post(url, data)
    fresh = raise_escalation("bexley-practitioner", "bexley-internal")
    assert fresh.ladder.version == 2
    assert fresh.stage_deadline == at(2026, 11, 13, 17, 0)  # three working days


def test_a_frozen_version_is_view_only(admin_client_, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    url = reverse("admin:policies_ladder_change", args=[ladder.pk])
    admin_client_.post(url, _post_data(admin_client_.get(url)))
    frozen = Ladder.objects.get(slug="bexley-internal", version=1)
    frozen_url = reverse("admin:policies_ladder_change", args=[frozen.pk])
    html = admin_client_.get(frozen_url).content.decode()
    assert 'name="stages-0-working_days"' not in html and 'name="_save"' not in html
    assert admin_client_.post(frozen_url, {"name": "Rewritten history"}).status_code == 403
    assert Ladder.objects.get(pk=frozen.pk).name == "Bexley internal escalation procedure"
