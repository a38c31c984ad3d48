"""Every validation rule of the escalation pages' forms, each on its own."""
import datetime as dt

import pytest

from core.text import TEXT_LIMIT
from escalations import forms
from policies.models import Ladder
from tests.conftest import LONDON, at

pytestmark = pytest.mark.django_db


def ladder(slug):
    return Ladder.objects.current().get(slug=slug)


# --- raising: step 1 ---------------------------------------------------------------------------------
def test_step_one_needs_a_procedure(people):
    form = forms.RaiseStartForm({"risk_level": "standard"}, user=people["bexley-practitioner"])
    assert form.errors["ladder"] == ["Choose the procedure you are following"]


def test_step_one_refuses_a_procedure_the_person_may_not_use(people):
    """stoke-crm is raised by a Conference and Review Manager only."""
    form = forms.RaiseStartForm({"ladder": "stoke-crm", "risk_level": "standard"}, user=people["stoke-social-worker"])
    assert form.errors["ladder"] == ["Choose one of the procedures you may use"]


def test_step_one_refuses_another_organisation_s_procedure(people):
    form = forms.RaiseStartForm({"ladder": "bexley-internal", "risk_level": "standard"}, user=people["stoke-crm"])
    assert "ladder" in form.errors


def test_step_one_needs_a_risk_level(people):
    form = forms.RaiseStartForm({"ladder": "bexley-internal"}, user=people["bexley-practitioner"])
    assert form.errors["risk_level"] == ["Choose the level of risk to the child"]


def test_step_one_refuses_an_unknown_risk_level(people):
    form = forms.RaiseStartForm({"ladder": "bexley-internal", "risk_level": "catastrophic"},
                                user=people["bexley-practitioner"])
    assert form.errors["risk_level"] == ["Choose standard, undue or immediate, or imminent risk"]


def test_step_one_offers_partnership_procedures_to_member_staff(people):
    form = forms.RaiseStartForm(user=people["puddleducks-practitioner"])
    assert set(form.fields["ladder"].queryset.values_list("slug", flat=True)) == {"wiltshire-multi-agency"}


# --- raising: step 2 ---------------------------------------------------------------------------------
def details(user, slug="bexley-internal", **data):
    base = {"category": "level-of-need", "decision_challenged": "Closed to early help.",
            "concern": "Bruising reported.", "basis": "evidence", "desired_outcome": "A strategy discussion.",
            "new_reference": "LCS-1"}
    base.update(data)
    return forms.RaiseDetailsForm({k: v for k, v in base.items() if v is not None}, user=user, ladder=ladder(slug))


def test_details_are_valid_when_complete(people):
    assert details(people["bexley-practitioner"]).is_valid()


def test_details_need_a_case_or_a_new_reference(people):
    form = details(people["bexley-practitioner"], new_reference="")
    assert form.errors["case"] == ["Choose a case or enter a new case reference"]


def test_details_refuse_both_a_case_and_a_new_reference(people):
    from cases.services import case_get_or_create

    case, _ = case_get_or_create(organisation=people["bexley-practitioner"].organisation, reference="LCS-9")
    form = details(people["bexley-practitioner"], case=str(case.pk), new_reference="LCS-10")
    assert form.errors["new_reference"] == ["Choose an existing case or enter a new reference, not both"]


def test_details_refuse_another_organisation_s_case(people):
    from cases.services import case_get_or_create

    case, _ = case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-1")
    form = details(people["bexley-practitioner"], case=str(case.pk), new_reference="")
    assert form.errors["case"] == ["Choose one of your organisation's cases"]


def test_details_refuse_a_reference_longer_than_the_case_system_allows(people):
    form = details(people["bexley-practitioner"], new_reference="X" * 65)
    assert form.errors["new_reference"] == ["A case reference must be 64 characters or fewer"]


def test_details_refuse_a_long_display_name(people):
    form = details(people["bexley-practitioner"], new_display_name="A" * 121)
    assert form.errors["new_display_name"] == ["The display name must be 120 characters or fewer"]


def test_details_need_a_category(people):
    form = details(people["bexley-practitioner"], category="")
    assert form.errors["category"] == ["Choose what the disagreement is about"]


def test_details_refuse_a_category_of_another_procedure(people):
    form = details(people["bexley-practitioner"], category="drift-and-delay")
    assert form.errors["category"] == ["Choose one of this procedure's categories"]


def test_details_offer_the_procedure_s_categories_in_its_groups(people):
    form = forms.RaiseDetailsForm(user=people["stoke-crm"], ladder=ladder("stoke-crm"))
    groups = [label for label, options in form.fields["category"].choices if isinstance(options, list)]
    assert groups == ["Concerns that may be dealt with at an informal level (2.1)",
                      "Concerns that might need formal escalation (2.2)"]


@pytest.mark.parametrize(("field", "message"), [
    ("decision_challenged", "Enter the decision you challenge"),
    ("concern", "Enter your concern"),
    ("desired_outcome", "Enter the outcome you want"),
])
def test_details_need_each_text(people, field, message):
    form = details(people["bexley-practitioner"], **{field: "   "})
    assert form.errors[field] == [message]


def test_details_refuse_text_longer_than_the_limit(people):
    form = details(people["bexley-practitioner"], concern="x" * (TEXT_LIMIT + 1))
    assert form.errors["concern"] == [f"What is your concern must be {TEXT_LIMIT:,} characters or fewer"]


def test_details_need_the_basis_of_the_concern(people):
    form = details(people["bexley-practitioner"], basis="")
    assert form.errors["basis"] == ["Say whether your concern rests on evidence or professional judgement"]


def test_an_internal_procedure_asks_for_no_receiving_organisation(people):
    form = details(people["bexley-practitioner"])
    assert "receiving_organisation" not in form.fields


def test_a_multi_agency_procedure_needs_the_receiving_organisation(people):
    form = details(people["puddleducks-practitioner"], slug="wiltshire-multi-agency")
    assert form.errors["receiving_organisation"] == ["Choose the organisation whose decision you challenge"]


def test_a_multi_agency_procedure_offers_only_partner_organisations(people):
    from organisations.models import Organisation

    bexley = Organisation.objects.get(slug="bexley")
    form = details(people["puddleducks-practitioner"], slug="wiltshire-multi-agency",
                   receiving_organisation=str(bexley.pk))
    assert form.errors["receiving_organisation"] == ["Choose a partner organisation under this procedure"]
    assert [o.slug for o in form.fields["receiving_organisation"].queryset] == ["wiltshire"]


# --- arranging a meeting ----------------------------------------------------------------------------
@pytest.fixture
def esc(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("bexley-practitioner", "bexley-internal")


def meeting(esc, people, **data):
    base = {"version": esc.version, "meeting_day": "12", "meeting_month": "11", "meeting_year": "2026",
            "meeting_time": "14:30"}
    base.update(data)
    return forms.action_form("arrange_meeting")(base, escalation=esc, user=people["bexley-team-manager"])


def test_a_meeting_is_read_in_uk_time(esc, people):
    form = meeting(esc, people)
    assert form.is_valid()
    assert form.cleaned_data["meeting_at"] == dt.datetime(2026, 11, 12, 14, 30, tzinfo=LONDON)
    assert form.service_kwargs() == {"meeting_at": form.cleaned_data["meeting_at"], "expected_version": esc.version}


@pytest.mark.parametrize(("typed", "hour", "minute"), [("2pm", 14, 0), ("2:30pm", 14, 30), ("9.15am", 9, 15),
                                                        ("12am", 0, 0), ("12pm", 12, 0)])
def test_a_meeting_time_may_be_written_the_usual_ways(esc, people, typed, hour, minute):
    form = meeting(esc, people, meeting_time=typed)
    assert form.is_valid()
    assert (form.cleaned_data["meeting_at"].hour, form.cleaned_data["meeting_at"].minute) == (hour, minute)


@pytest.mark.parametrize(("data", "message"), [
    ({"meeting_day": "", "meeting_month": "", "meeting_year": ""}, "Enter the date of the meeting"),
    ({"meeting_month": ""}, "The date of the meeting must include a day, month and year"),
    ({"meeting_day": "twelve"}, "The date of the meeting must be a real date"),
    ({"meeting_day": "31", "meeting_month": "2"}, "The date of the meeting must be a real date"),
    ({"meeting_year": "26"}, "The year must include 4 numbers"),
])
def test_a_meeting_date_must_be_a_real_date(esc, people, data, message):
    assert meeting(esc, people, **data).errors["meeting_day"] == [message]


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the time of the meeting, for example 14:30"),
    ("25:00", "The time of the meeting must be a real time, for example 14:30 or 2:30pm"),
    ("14", "The time of the meeting must be a real time, for example 14:30 or 2:30pm"),
    ("13pm", "The time of the meeting must be a real time, for example 14:30 or 2:30pm"),
    ("teatime", "The time of the meeting must be a real time, for example 14:30 or 2:30pm"),
])
def test_a_meeting_time_must_be_a_real_time(esc, people, typed, message):
    assert meeting(esc, people, meeting_time=typed).errors["meeting_time"] == [message]


def test_an_action_form_needs_the_version_it_was_shown_with(esc, people):
    form = forms.action_form("withdraw")({"reason": "Sorted."}, escalation=esc, user=people["bexley-practitioner"])
    assert form.errors["version"] == ["Reload the page and try again"]


# --- the other actions -------------------------------------------------------------------------------
def test_a_decision_needs_agree_or_uphold(esc, people):
    form = forms.action_form("respond")({"version": 1, "rationale": "Because."}, escalation=esc,
                                        user=people["bexley-team-manager"])
    assert form.errors["decision"] == ["Choose whether you agree with the challenge or uphold the decision"]


def test_a_decision_needs_a_rationale(esc, people):
    form = forms.action_form("respond")({"version": 1, "decision": "uphold"}, escalation=esc,
                                        user=people["bexley-team-manager"])
    assert form.errors["rationale"] == ["Enter the rationale for your decision"]


def test_the_decision_form_warns_that_upholding_at_a_final_stage_ends_it(raise_escalation, people, travel):
    from escalations import services
    from tests.factories import bristol_third_agency

    travel(at(2026, 11, 10, 10, 0))
    bristol_third_agency()  # the partnership's QA&P chair holds the panel stage
    final = raise_escalation("bs3-designated-safeguarding-lead", "multi-agency-resolution-panel", receiving="bristol")

    final = services.escalation_skip(escalation=final, actor=people["bs3-designated-safeguarding-lead"], to_stage=3,
                                     reason="Straight to the panel.")
    form = forms.action_form("respond")(escalation=final, user=final.holder)
    assert "upholding the decision ends the escalation" in form.fields["decision"].help_text
    assert form.fields["outstanding_actions"].label.startswith("If you uphold the decision")


@pytest.mark.parametrize(("field", "message"), [
    ("agreed_outcome", "Enter the agreed outcome"),
    ("outstanding_actions", "Enter how outstanding issues will be pursued"),
])
def test_accepting_needs_the_outcome_and_how_outstanding_issues_will_be_pursued(esc, people, field, message):
    data = {"version": 1, "agreed_outcome": "Strategy meeting.", "outstanding_actions": "TM reviews.", field: ""}
    form = forms.action_form("accept")(data, escalation=esc, user=people["bexley-practitioner"])
    assert form.errors[field] == [message]


@pytest.mark.parametrize(("action", "message"), [
    ("escalate", "Enter why you are escalating it"),
    ("withdraw", "Enter why you are withdrawing it"),
    ("reopen", "Enter why you are reopening it"),
    ("log_with_board", "Enter why you are logging it with the board"),
])
def test_each_reasoned_action_needs_its_reason(esc, people, action, message):
    form = forms.action_form(action)({"version": 1, "reason": ""}, escalation=esc, user=people["bexley-practitioner"])
    assert form.errors["reason"] == [message]


@pytest.mark.parametrize(("action", "noun"), [
    ("escalate", "Reason"), ("withdraw", "Reason"), ("skip", "Why are you skipping stages"),
    ("reassign", "Why is it reassigned"),
])
def test_a_reason_that_is_too_long_is_refused_by_name(esc, people, action, noun):
    form = forms.action_form(action)({"version": 1, "reason": "x" * (TEXT_LIMIT + 1)}, escalation=esc,
                                     user=people["bexley-practitioner"])
    assert form.errors["reason"] == [f"{noun} must be {TEXT_LIMIT:,} characters or fewer"]


def test_the_escalate_form_names_the_next_stage(esc, people):
    form = forms.action_form("escalate")(escalation=esc, user=people["bexley-practitioner"])
    assert form.fields["reason"].label == "Why are you escalating it to Service Manager?"


def test_a_note_needs_text_and_no_version(esc, people):
    form = forms.action_form("add_note")({"note": ""}, escalation=esc, user=people["bexley-psw"])
    assert form.errors == {"note": ["Enter the note"]}


def test_skipping_offers_only_stages_after_the_next_one(raise_escalation, people):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    form = forms.action_form("skip")(escalation=esc, user=people["puddleducks-practitioner"])
    assert [index for index, _name in form.fields["to_stage"].choices] == [2, 3]


def test_stoke_skipping_offers_every_later_stage_the_next_one_included(raise_escalation, people):
    """Stoke 5: the CRM may go directly to the level they consider most appropriate (CONTRACT 8.2)."""
    esc = raise_escalation("stoke-crm", "stoke-crm")
    form = forms.action_form("skip")(escalation=esc, user=people["stoke-crm"])
    assert [index for index, _name in form.fields["to_stage"].choices] == [1, 2, 3, 4]


def test_skipping_refuses_the_next_stage_and_needs_a_reason(raise_escalation, people):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    form = forms.action_form("skip")({"version": 1, "to_stage": "1", "reason": ""}, escalation=esc,
                                     user=people["puddleducks-practitioner"])
    assert form.errors["to_stage"] == ["Choose one of the stages listed"]
    assert form.errors["reason"] == ["Enter why you are skipping stages"]


def test_reassigning_offers_only_others_who_may_hold_the_stage(esc, people):
    from tests.factories import UserFactory

    cover = UserFactory(username="bexley-cover-tm", organisation=people["bexley-team-manager"].organisation,
                        role="team_manager")
    form = forms.action_form("reassign")(escalation=esc, user=people["bexley-team-manager"])
    assert set(form.fields["new_holder"].queryset) == {cover, people["bexley-service-manager"]}


def test_reassigning_the_only_team_manager_offers_their_line_manager(esc, people):
    """Bexley has one team manager: the list is never empty, the holder's own manager is on it."""
    form = forms.action_form("reassign")(escalation=esc, user=people["bexley-team-manager"])
    assert list(form.fields["new_holder"].queryset) == [people["bexley-service-manager"]]


def test_reassigning_offers_the_next_manager_up_when_the_line_manager_is_away(esc, people):
    import datetime as dt

    from django.utils import timezone

    from organisations.models import Absence

    manager = people["bexley-service-manager"]
    today = timezone.localdate()
    Absence.objects.create(person=manager, starts_on=today, ends_on=today + dt.timedelta(days=2), recorded_by=manager)
    form = forms.action_form("reassign")(escalation=esc, user=people["bexley-team-manager"])
    assert list(form.fields["new_holder"].queryset) == [people["bexley-head-of-service"]]


def test_reassigning_refuses_someone_not_listed_and_needs_a_reason(esc, people):
    data = {"version": 1, "new_holder": str(people["bexley-director"].pk), "reason": ""}
    form = forms.action_form("reassign")(data, escalation=esc, user=people["bexley-team-manager"])
    assert form.errors["new_holder"] == ["Choose one of the people listed"]
    assert form.errors["reason"] == ["Enter why it is reassigned"]


def test_a_mediator_is_never_a_party(raise_escalation, people):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    candidates = set(forms.action_form("start_mediation")(escalation=esc, user=people["wiltshire-qap-chair"])
                     .fields["mediator"].queryset.values_list("username", flat=True))
    assert "wiltshire-qap-chair" in candidates
    assert {esc.holder.username, "puddleducks-practitioner"}.isdisjoint(candidates)
    assert "bexley-psw" not in candidates


def test_mediation_needs_a_mediator(raise_escalation, people):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    form = forms.action_form("start_mediation")({"version": 1}, escalation=esc, user=people["wiltshire-qap-chair"])
    assert form.errors["mediator"] == ["Choose a mediator"]


def test_ending_mediation_needs_whether_they_agreed_and_the_outcome(esc, people):
    form = forms.action_form("end_mediation")({"version": 1}, escalation=esc, user=people["bexley-psw"])
    assert form.errors["agreed"] == ["Say whether the parties agreed"]
    assert form.errors["note"] == ["Enter the outcome of the mediation"]


@pytest.mark.parametrize(("answer", "agreed"), [("yes", True), ("no", False)])
def test_ending_mediation_reads_yes_or_no_as_a_boolean(esc, people, answer, agreed):
    form = forms.action_form("end_mediation")({"version": 3, "agreed": answer, "note": "Met."}, escalation=esc,
                                  user=people["bexley-psw"])
    assert form.is_valid()
    assert form.service_kwargs() == {"note": "Met.", "agreed": agreed, "agreed_outcome": "", "outstanding_actions": "",
                                     "expected_version": 3}
