"""The escalation pages' forms: they parse and check what a person typed; the services decide."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from organisations.models import Organisation, User
from policies import clock
from policies.models import Ladder, RiskLevel

from . import selectors
from .models import Basis, Decision, Escalation, State
from .services import TEXT_LIMIT, partner_organisations


def text_field(label: str, required_message: str, *, hint: str = "", rows: int = 4,
               required: bool = True) -> forms.CharField:
    """A free-text answer, as long as the services accept (TEXT_LIMIT characters)."""
    return forms.CharField(
        label=label, help_text=hint, required=required, max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": required_message,
            "max_length": f"{label.rstrip('?')} must be {TEXT_LIMIT:,} characters or fewer",
        },
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        where = obj.organisation or obj.partnership
        return f"{obj.display_name} ({obj.get_role_display()}{', ' + str(where) if where else ''})"


# --- lists -------------------------------------------------------------------------------------------
STATE_CHOICES = [
    ("all", "All"),
    ("live", "Live (not yet resolved or withdrawn)"),
    ("awaiting", "Awaiting the holder's response"),
    ("closed", "Closed (resolved or withdrawn)"),
    *[(state.value, state.label) for state in State],
]


class ListFilterForm(forms.Form):
    """The filters of a list of escalations: state and procedure (ladder)."""

    state = forms.ChoiceField(label="Status", choices=STATE_CHOICES, required=False,
                              error_messages={"invalid_choice": "Choose a status from the list"})
    ladder = forms.ModelChoiceField(
        label="Procedure", queryset=Ladder.objects.none(), required=False, to_field_name="slug",
        empty_label="All procedures", error_messages={"invalid_choice": "Choose a procedure from the list"},
    )

    def __init__(self, *args: Any, ladders, default_state: str = "all", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ladder"].queryset = ladders
        self.fields["state"].initial = default_state
        self.default_state = default_state

    def filters(self) -> dict:
        """The filters to apply: only the valid ones (a bad value is reported, not applied)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"state": data.get("state") or self.default_state, "ladder": data.get("ladder")}


# --- raising -----------------------------------------------------------------------------------------
class LadderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Ladder) -> str:
        return obj.name


class RaiseStartForm(forms.Form):
    """Step 1: the procedure and how serious the risk to the child is."""

    ladder = LadderChoiceField(
        label="Which procedure are you following?", queryset=Ladder.objects.none(), to_field_name="slug",
        empty_label=None, widget=forms.RadioSelect,
        error_messages={"required": "Choose the procedure you are following",
                        "invalid_choice": "Choose one of the procedures you may use"},
    )
    risk_level = forms.ChoiceField(
        label="What is the risk to the child?", choices=RiskLevel.choices, widget=forms.RadioSelect,
        help_text="Choose imminent risk only if the child may come to significant harm very soon.",
        error_messages={"required": "Choose the level of risk to the child",
                        "invalid_choice": "Choose standard, undue or immediate, or imminent risk"},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ladder"].queryset = selectors.ladders_for_raising(user=user)


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.label


class RaiseDetailsForm(forms.Form):
    """Step 2: the case, the receiving organisation (multi-agency), and the disagreement itself."""

    case = CaseChoiceField(
        label="Which case is it about?", queryset=selectors.Case.objects.none(), required=False,
        empty_label="A new case: enter its reference below",
        error_messages={"invalid_choice": "Choose one of your organisation's cases"},
    )
    new_reference = forms.CharField(
        label="New case reference", required=False, max_length=64,
        help_text="The reference in your case-management system, for example LCS-104233.",
        error_messages={"max_length": "A case reference must be 64 characters or fewer"},
    )
    new_display_name = forms.CharField(
        label="Display name for the new case (optional)", required=False, max_length=120,
        help_text="Initials only, for example A.B. Shown only to your own organisation.",
        error_messages={"max_length": "The display name must be 120 characters or fewer"},
    )
    receiving_organisation = forms.ModelChoiceField(
        label="Whose decision do you challenge?", queryset=Organisation.objects.none(), required=True,
        empty_label="Choose the organisation",
        error_messages={"required": "Choose the organisation whose decision you challenge",
                        "invalid_choice": "Choose a partner organisation under this procedure"},
    )
    category = forms.ChoiceField(
        label="What is the disagreement about?",
        error_messages={"required": "Choose what the disagreement is about",
                        "invalid_choice": "Choose one of this procedure's categories"},
    )
    decision_challenged = text_field("Which decision do you challenge?", "Enter the decision you challenge",
                                     hint="Who made it, when, and what it was.")
    concern = text_field("What is your concern?", "Enter your concern",
                         hint="What worries you about the child's safety or welfare.", rows=6)
    basis = forms.ChoiceField(
        label="What does your concern rest on?", choices=Basis.choices, widget=forms.RadioSelect,
        help_text="Professional judgement is valid: a gut feeling, owned as such.",
        error_messages={"required": "Say whether your concern rests on evidence or professional judgement"},
    )
    desired_outcome = text_field("What outcome do you want?", "Enter the outcome you want")

    def __init__(self, *args: Any, user: User, ladder: Ladder, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user, self.ladder = user, ladder
        self.fields["case"].queryset = selectors.cases_for_raising(user=user)
        if ladder.multi_agency or any(stage.in_receiving_organisation for stage in ladder.stage_list()):
            self.fields["receiving_organisation"].queryset = partner_organisations(ladder=ladder, user=user)
        else:
            del self.fields["receiving_organisation"]
        groups: dict[str, list[tuple[str, str]]] = {}
        for category in ladder.categories.all():
            groups.setdefault(category.group, []).append((category.slug, category.label))
        choices: list = [("", "Choose a category")]
        for group, options in groups.items():
            if group:
                choices.append((group, options))
            else:
                choices.extend(options)
        self.fields["category"].choices = choices

    @property
    def needs_receiver(self) -> bool:
        return "receiving_organisation" in self.fields

    def clean(self) -> dict:
        data = super().clean()
        case, reference = data.get("case"), (data.get("new_reference") or "").strip()
        if "case" in self.errors or "new_reference" in self.errors:
            return data
        if case is None and not reference:
            self.add_error("case", "Choose a case or enter a new case reference")
        elif case is not None and reference:
            self.add_error("new_reference", "Choose an existing case or enter a new reference, not both")
        return data


# --- the actions on an escalation ----------------------------------------------------------------------
class ActionForm(forms.Form):
    """An action's form: the escalation's version travels with it, so a stale form is refused (409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1,
                                 error_messages={"required": "Reload the page and try again"})
    # The service's arguments, read from cleaned_data.
    service_fields: tuple[str, ...] = ()
    # A service's error key -> the field that shows it.
    error_fields: dict[str, str] = {}
    versioned = True

    def __init__(self, *args: Any, escalation: Escalation, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.escalation, self.user = escalation, user
        if not self.versioned:
            del self.fields["version"]

    def service_kwargs(self) -> dict:
        kwargs = {name: self.cleaned_data[name] for name in self.service_fields}
        if self.versioned:
            kwargs["expected_version"] = self.cleaned_data["version"]
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's refusal on the fields it names (or above the form)."""
        for key, messages in error.message_dict.items():
            field = self.error_fields.get(key, key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


TIME_PATTERN = re.compile(r"^(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>am|pm)?$", re.IGNORECASE)


def parse_time(value: str) -> dt.time | None:
    """Read 14:30, 2:30pm, 2pm or 9.15am; None if it is not a real time."""
    match = TIME_PATTERN.match(value.strip())
    if not match:
        return None
    hour, minute, half = int(match["hour"]), int(match["minute"] or 0), (match["half"] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match["minute"] is None:
        return None  # "14" alone is ambiguous: ask for 14:00
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


class ArrangeMeetingForm(ActionForm):
    """The meeting's date (GOV.UK date input: day, month, year) and time, in UK local time."""

    meeting_day = forms.CharField(label="Day", required=False)
    meeting_month = forms.CharField(label="Month", required=False)
    meeting_year = forms.CharField(label="Year", required=False)
    meeting_time = forms.CharField(label="Time", required=False, max_length=10,
                                   help_text="For example, 14:30 or 2:30pm")
    service_fields = ("meeting_at",)
    error_fields = {"meeting_at": "meeting_day"}

    def clean(self) -> dict:
        data = super().clean()
        date = self._date(data)
        time = self._time(data)
        if date is not None and time is not None:
            data["meeting_at"] = dt.datetime.combine(date, time, tzinfo=clock.LONDON)
        return data

    def _date(self, data: dict) -> dt.date | None:
        parts = [(data.get(f"meeting_{part}") or "").strip() for part in ("day", "month", "year")]
        for name in ("meeting_day", "meeting_month", "meeting_year"):
            self.errors.pop(name, None)  # one message for the whole date, as GOV.UK date inputs do
        message = None
        if not any(parts):
            message = "Enter the date of the meeting"
        elif not all(parts):
            message = "The date of the meeting must include a day, month and year"
        elif not all(part.isdigit() for part in parts):
            message = "The date of the meeting must be a real date"
        elif len(parts[2]) != 4:
            message = "The year must include 4 numbers"
        if message is None:
            try:
                return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                message = "The date of the meeting must be a real date"
        self.add_error("meeting_day", message)
        return None

    def _time(self, data: dict) -> dt.time | None:
        raw = (data.get("meeting_time") or "").strip()
        if not raw:
            self.add_error("meeting_time", "Enter the time of the meeting, for example 14:30")
            return None
        time = parse_time(raw)
        if time is None:
            self.add_error("meeting_time", "The time of the meeting must be a real time, for example 14:30 or 2:30pm")
        return time


class RespondForm(ActionForm):
    decision = forms.ChoiceField(
        label="Your decision", choices=Decision.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you agree with the challenge or uphold the decision"},
    )
    rationale = text_field("Your rationale", "Enter the rationale for your decision",
                           hint="It is recorded in writing and shared with the person who raised it.", rows=5)
    service_fields = ("decision", "rationale")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.escalation.stage.final:
            self.fields["decision"].help_text = "This is the final stage: upholding the decision ends the escalation."


class AcceptForm(ActionForm):
    agreed_outcome = text_field("The agreed outcome", "Enter the agreed outcome")
    outstanding_actions = text_field("How will outstanding issues be pursued?",
                                     "Enter how outstanding issues will be pursued",
                                     hint="Who does what, and by when.")
    service_fields = ("agreed_outcome", "outstanding_actions")


class ReasonForm(ActionForm):
    reason = text_field("Reason", "Enter the reason")
    service_fields = ("reason",)
    reason_label = "Reason"
    reason_required = "Enter the reason"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = self.reason_label
        self.fields["reason"].error_messages["required"] = self.reason_required


class EscalateForm(ReasonForm):
    reason_label = "Why are you escalating it?"
    reason_required = "Enter why you are escalating it"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        nxt = self.escalation.next_stage_index()
        if nxt is not None:
            stage = self.escalation.ladder.stage(nxt)
            self.fields["reason"].label = f"Why are you escalating it to {stage.name}?"
            if stage.exceptional:
                self.fields["reason"].help_text = (
                    "This stage is exceptional: say what significant concerns for the child remain after the final decision."
                )


class WithdrawForm(ReasonForm):
    reason_label = "Why are you withdrawing it?"
    reason_required = "Enter why you are withdrawing it"


class ReopenForm(ReasonForm):
    reason_label = "Why are you reopening it?"
    reason_required = "Enter why you are reopening it"


class LogWithBoardForm(ReasonForm):
    reason_label = "Why should the board know about it?"
    reason_required = "Enter why you are logging it with the board"


class SkipForm(ActionForm):
    to_stage = forms.TypedChoiceField(
        label="Which stage should it go to?", coerce=int, widget=forms.RadioSelect,
        error_messages={"required": "Choose the stage to go to", "invalid_choice": "Choose one of the stages listed"},
    )
    reason = text_field("Why are you skipping stages?", "Enter why you are skipping stages",
                        hint="The procedure requires a recorded reason.")
    service_fields = ("to_stage", "reason")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [
            (stage.index, stage.name) for stage in selectors.skip_targets(escalation=self.escalation)
        ]


class ReassignForm(ActionForm):
    new_holder = PersonChoiceField(
        label="Who will hold it?", queryset=User.objects.none(), empty_label="Choose a person",
        error_messages={"required": "Choose who will hold it", "invalid_choice": "Choose one of the people listed"},
    )
    reason = text_field("Why is it reassigned?", "Enter why it is reassigned",
                        hint="For example, annual leave or sickness. The deadline does not change.", rows=3)
    service_fields = ("new_holder", "reason")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["new_holder"].queryset = selectors.reassign_candidates(escalation=self.escalation)


class StartMediationForm(ActionForm):
    mediator = PersonChoiceField(
        label="Who will mediate?", queryset=User.objects.none(), empty_label="Choose a mediator",
        help_text="The mediator is never the decision maker, and cannot be the holder or the person who raised it.",
        error_messages={"required": "Choose a mediator", "invalid_choice": "Choose one of the people listed"},
    )
    service_fields = ("mediator",)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = selectors.mediator_candidates(escalation=self.escalation)


class EndMediationForm(ActionForm):
    agreed = forms.TypedChoiceField(
        label="Did the parties agree?", widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("yes", "Yes: record the agreement and resolve it"),
                 ("no", "No: return it to the stage with a fresh deadline")],
        error_messages={"required": "Say whether the parties agreed"},
    )
    note = text_field("The outcome of the mediation", "Enter the outcome of the mediation",
                      hint="If the parties agreed, this is recorded as the agreed outcome.")
    service_fields = ("note", "agreed")


class NoteForm(ActionForm):
    note = text_field("Note", "Enter the note", hint="For example, advice given or a phone call. Everyone who "
                      "can see this escalation can read it.", rows=3)
    service_fields = ("note",)
    versioned = False  # a note changes nothing else, so it cannot conflict with another change
