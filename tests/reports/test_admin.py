"""The Django admin: lists to manage the set-up, no escalation, timeline, attachment or notification shown
(platform staff are not parties, CONTRACT 8.6), and ladder edits that become new versions while live
escalations keep theirs."""
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
    "organisations/closureday", "policies/ladder",
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


# --- no case data in the admin (CONTRACT 8.6) -------------------------------------------------------------
CASE_DATA = ["escalations/escalation", "escalations/timelineentry", "escalations/attachment",
             "escalations/participant", "notifications/notification"]


def test_the_admin_index_offers_no_case_data(admin_client_, demo):
    html = admin_client_.get("/admin/").content.decode()
    assert "/admin/organisations/user/" in html  # the set-up is there
    assert not [model for model in CASE_DATA if f"/admin/{model}/" in html]


@pytest.mark.parametrize("model", CASE_DATA)
def test_the_admin_lists_no_case_data(admin_client_, demo, model):
    assert admin_client_.get(f"/admin/{model}/").status_code == 404


def test_an_escalation_is_neither_shown_changed_nor_deleted_in_the_admin(admin_client_, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    entry = esc.timeline.get()
    assert admin_client_.get(f"/admin/escalations/escalation/{esc.pk}/change/").status_code == 404
    assert admin_client_.post(f"/admin/escalations/escalation/{esc.pk}/change/", {
        "state": "resolved", "timeline-TOTAL_FORMS": "1", "timeline-INITIAL_FORMS": "1",
        "timeline-0-id": str(entry.pk), "timeline-0-note": "rewritten", "timeline-0-action": "respond",
    }).status_code == 404
    assert admin_client_.post(f"/admin/escalations/escalation/{esc.pk}/delete/", {"post": "yes"}).status_code == 404
    assert admin_client_.get("/admin/escalations/escalation/add/").status_code == 404
    entry.refresh_from_db()
    esc.refresh_from_db()
    assert (entry.note, entry.action, esc.state) == ("Risk not reassessed.", "raise", "open")


def test_a_timeline_entry_is_neither_shown_changed_nor_deleted_in_the_admin(admin_client_, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    entry = esc.timeline.get()
    change = f"/admin/escalations/timelineentry/{entry.pk}/change/"
    assert admin_client_.get(change).status_code == 404
    assert admin_client_.post(change, {"note": "rewritten"}).status_code == 404
    delete = f"/admin/escalations/timelineentry/{entry.pk}/delete/"
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 404
    assert TimelineEntry.objects.get(pk=entry.pk).note == "Risk not reassessed."
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


def test_the_retention_period_is_shown_but_not_changed_in_the_django_admin(admin_client_, people):
    """It changes only on the organisation administrators' page, bounded and audited."""
    from organisations.models import Organisation

    bexley = Organisation.objects.get(slug="bexley")
    kept = bexley.retention_days
    url = reverse("admin:organisations_organisation_change", args=[bexley.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert "retention_days" not in page.context["adminform"].form.fields
    data = _post_data(page)
    data.update({"retention_days": "1", "_save": "Save"})

    response = admin_client_.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    bexley.refresh_from_db()
    assert bexley.retention_days == kept
