"""The escalation pages' forms: they parse and check what a person typed; the services decide.

The action forms are not written one by one: ``action_form`` builds each from the inputs its spec
declares (``escalations.actions``), one kind of input at a time.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from core.forms import govuk_date
from core.text import TEXT_LIMIT
from organisations.models import Organisation, User
from policies import clock
from policies.models import Ladder, RiskLevel

from . import actions, selectors
from .models import Basis, Escalation


def text_field(label: str | None, required_message: str, *, hint: str = "", rows: int = 4,
               required: bool = True, noun: str = "") -> forms.CharField:
    """A free-text answer, as long as the services accept (TEXT_LIMIT characters); ``noun`` names it
    in the too-long message (by default the label without its question mark)."""
    return forms.CharField(
        label=label, help_text=hint, required=required, max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": required_message,
            "max_length": f"{noun or (label or '').rstrip('?')} must be {TEXT_LIMIT:,} characters or fewer",
        },
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        where = obj.organisation or obj.partnership
        return f"{obj.display_name} ({obj.get_role_display()}{', ' + str(where) if where else ''})"


# --- raising -----------------------------------------------------------------------------------------
class LadderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Ladder) -> str:
        return obj.name

    def hint_from_instance(self, obj: Ladder) -> str:
        """Under each procedure's radio: whose procedure it is (a partnership's) and what it says."""
        partnership = f"Multi-agency ({obj.partnership.name}). " if obj.partnership else ""
        return f"{partnership}{obj.description}"


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
    new_allocated_worker = PersonChoiceField(
        label="Allocated worker for the new case (optional)", queryset=User.objects.none(), required=False,
        empty_label="Not recorded",
        help_text="The social worker the case is allocated to. On a procedure that makes them a party (Stoke), "
                  "they see the escalation and are told of each step.",
        error_messages={"invalid_choice": "Choose a member of your organisation's staff"},
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
    holder = forms.ChoiceField(
        label="Who should hold it? (optional)", required=False,
        help_text="Leave it to the procedure to give it to your nearest manager with the stage's role, or choose "
                  "someone who may hold it.",
        error_messages={"invalid_choice": "Choose one of the people listed"},
    )

    def __init__(self, *args: Any, user: User, ladder: Ladder, risk_level: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user, self.ladder = user, ladder
        self.fields["case"].queryset = selectors.cases_for_raising(user=user)
        self.fields["new_allocated_worker"].queryset = selectors.allocated_worker_choices(user=user)
        self._holder_fill(user=user, ladder=ladder, risk_level=risk_level)
        if ladder.needs_receiving_organisation:
            self.fields["receiving_organisation"].queryset = Organisation.objects.partners_under(
                ladder, excluding=user.organisation_id)
        else:
            del self.fields["receiving_organisation"]
        groups: dict[str, list[tuple[str, str]]] = {}
        for category in ladder.categories.all():
            if not category.open_to(user.role):  # Bexley 3.9: only a legal adviser raises a legal planning meeting
                continue
            groups.setdefault(category.group, []).append((category.slug, category.label))
        choices: list = [("", "Choose a category")]
        for group, options in groups.items():
            if group:
                choices.append((group, options))
            else:
                choices.extend(options)
        self.fields["category"].choices = choices

    def _holder_fill(self, *, user: User, ladder: Ladder, risk_level: str) -> None:
        """The "who should hold it" choice: the eligible people of each stage the raise may enter (CONTRACT
        8.1); required, and worded for it, where the raiser names the person the concern is about (Stoke 9)."""
        field = self.fields["holder"]
        groups = selectors.raise_holder_choices(user=user, ladder=ladder, risk_level=risk_level)
        self.holder_people = {person.username: person for group in groups for person in group.people}
        if ladder.holder_named_on_raise:
            stage = ladder.stage(0)
            field.required = True
            field.label = f"Which {stage.name.removeprefix('The ')} is the concern about?"
            field.help_text = "They are asked to resolve it with you first; their manager is the next stage."
            field.error_messages["required"] = f"Choose the {stage.name.removeprefix('The ')} the concern is about"
            choices: list = [("", "Choose a person")]
        else:
            choices = [("", "Leave it to the procedure")]
        for group in groups:
            options = [(person.username, f"{person.display_name} ({person.get_role_display()})")
                       for person in group.people]
            choices.append((f"{group.stage.name}, {group.organisation_name}", options))
        field.choices = choices

    def clean_holder(self) -> User | None:
        username = self.cleaned_data.get("holder") or ""
        return self.holder_people.get(username) if username else None

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
    """An action's form: the escalation's version travels with it, so a stale form is refused (409).

    ``action_form`` makes one subclass per action, with the fields of its spec's inputs.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1,
                                 error_messages={"required": "Reload the page and try again"})
    spec: actions.ActionSpec

    def __init__(self, *args: Any, escalation: Escalation, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.escalation, self.user = escalation, user
        if not self.spec.versioned:
            del self.fields["version"]
        for spec_input in self.spec.inputs:
            _prepare(spec_input, self)

    def clean(self) -> dict:
        data = super().clean()
        for spec_input in self.spec.inputs:
            if isinstance(spec_input, actions.Moment):
                _clean_moment(spec_input, self, data)
        return data

    def service_kwargs(self) -> dict:
        kwargs = {spec_input.name: self.cleaned_data[spec_input.name] for spec_input in self.spec.inputs
                  if spec_input.name in self.cleaned_data}  # an input not asked here is left to the service
        for spec_input in self.spec.inputs:
            if isinstance(spec_input, actions.People) and spec_input.name in kwargs:
                kwargs[spec_input.name] = list(kwargs[spec_input.name])
            elif isinstance(spec_input, actions.Choice) and spec_input.default and not kwargs.get(spec_input.name):
                kwargs[spec_input.name] = spec_input.default
        if self.spec.versioned:
            kwargs["expected_version"] = self.cleaned_data["version"]
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's refusal on the fields it names (or above the form)."""
        shown_on = {spec_input.name: _error_field(spec_input) for spec_input in self.spec.inputs}
        for key, messages in error.message_dict.items():
            field = shown_on.get(key, key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    def rows(self) -> list[dict]:
        """What the page shows, in order: each field, or a date input's three boxes as one group."""
        shown: list[dict] = []
        if "version" in self.fields:
            shown.append({"field": self["version"]})
        for spec_input in self.spec.inputs:
            if isinstance(spec_input, actions.Moment):
                prefix = spec_input.prefix
                shown.append({"date": {
                    "day": self[f"{prefix}_day"], "month": self[f"{prefix}_month"], "year": self[f"{prefix}_year"],
                    "legend": f"Date of {spec_input.what}", "hint": "For example, 27 3 2026",
                }})
                shown.append({"field": self[f"{prefix}_time"], "classes": "govuk-input--width-5"})
            elif spec_input.name in self.fields:
                shown.append({"field": self[spec_input.name]})
        return shown


@functools.cache
def action_form(name: str) -> type[ActionForm]:
    """The page form of an action, built once from the inputs its spec declares."""
    spec = actions.ACTIONS[name]
    fields: dict[str, forms.Field] = {}
    for spec_input in spec.inputs:
        fields.update(_fields(spec_input))
    class_name = "".join(part.title() for part in name.split("_")) + "Form"
    return type(class_name, (ActionForm,), {"spec": spec, **fields})


@functools.singledispatch
def _fields(spec_input: Any) -> dict[str, forms.Field]:
    """The form fields of one input (what does not depend on the escalation)."""
    raise TypeError(f"no page form for {type(spec_input).__name__}: add one to escalations.forms")


@_fields.register
def _(spec_input: actions.Text) -> dict[str, forms.Field]:
    label = None if callable(spec_input.label) else spec_input.label
    hint = "" if callable(spec_input.hint) else spec_input.hint
    return {spec_input.name: text_field(label, spec_input.required, hint=hint, rows=spec_input.rows,
                                        noun=spec_input.noun, required=not spec_input.optional)}


@_fields.register
def _(spec_input: actions.Choice) -> dict[str, forms.Field]:
    return {spec_input.name: forms.ChoiceField(
        label=spec_input.label, choices=spec_input.choices, widget=forms.RadioSelect,
        help_text="" if callable(spec_input.hint) else spec_input.hint,
        error_messages={"required": spec_input.required},
    )}


@_fields.register
def _(spec_input: actions.YesNo) -> dict[str, forms.Field]:
    return {spec_input.name: forms.TypedChoiceField(
        label=spec_input.label, widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("yes", spec_input.yes), ("no", spec_input.no)],
        error_messages={"required": spec_input.required},
    )}


@_fields.register
def _(spec_input: actions.Person) -> dict[str, forms.Field]:
    return {spec_input.name: PersonChoiceField(
        label=spec_input.label, queryset=User.objects.none(), empty_label=spec_input.empty_label,
        help_text=spec_input.hint, required=not spec_input.optional,
        error_messages={"required": spec_input.required, "invalid_choice": spec_input.invalid},
    )}


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return PersonChoiceField.label_from_instance(self, obj)  # type: ignore[arg-type]


@_fields.register
def _(spec_input: actions.People) -> dict[str, forms.Field]:
    return {spec_input.name: PeopleChoiceField(
        label=spec_input.label, queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text=spec_input.hint,
        error_messages={"required": spec_input.required, "invalid_choice": spec_input.invalid,
                        "invalid_pk_value": spec_input.invalid},
    )}


@_fields.register
def _(spec_input: actions.StageChoice) -> dict[str, forms.Field]:
    return {spec_input.name: forms.TypedChoiceField(
        label=spec_input.label, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": spec_input.required, "invalid_choice": spec_input.invalid},
    )}


@_fields.register
def _(spec_input: actions.Moment) -> dict[str, forms.Field]:
    """A GOV.UK date input (day, month, year) and a time, read in UK local time."""
    prefix = spec_input.prefix
    return {
        f"{prefix}_day": forms.CharField(label="Day", required=False),
        f"{prefix}_month": forms.CharField(label="Month", required=False),
        f"{prefix}_year": forms.CharField(label="Year", required=False),
        f"{prefix}_time": forms.CharField(label="Time", required=False, max_length=10,
                                          help_text="For example, 14:30 or 2:30pm"),
    }


def _prepare(spec_input: actions.Input, form: ActionForm) -> None:
    """Fill in what depends on the escalation: words naming its stages, the people or stages to choose from."""
    escalation = form.escalation
    if isinstance(spec_input, actions.Text) and spec_input.shown is not None and not spec_input.shown(escalation):
        del form.fields[spec_input.name]
        return
    if isinstance(spec_input, (actions.Text, actions.Choice)):
        field = form.fields[spec_input.name]
        if callable(spec_input.label):
            field.label = spec_input.label(escalation)
        if callable(spec_input.hint):
            field.help_text = spec_input.hint(escalation)
        if isinstance(spec_input, actions.Choice):
            if spec_input.offered is not None:
                field.choices = spec_input.offered(escalation)  # type: ignore[attr-defined]
            if spec_input.default and spec_input.default in dict(field.choices):  # type: ignore[attr-defined]
                field.initial = spec_input.default
                field.required = False  # left unchosen, it is the default, as in the API
    elif isinstance(spec_input, (actions.Person, actions.People)):
        field = form.fields[spec_input.name]
        field.queryset = import_string(spec_input.candidates)(escalation=escalation)  # type: ignore[attr-defined]
    elif isinstance(spec_input, actions.StageChoice):
        field = form.fields[spec_input.name]
        field.choices = [(stage.index, stage.name) for stage in spec_input.stages(escalation)]  # type: ignore[attr-defined]


def _error_field(spec_input: actions.Input) -> str:
    """The field that shows a service's error about this input."""
    return f"{spec_input.prefix}_day" if isinstance(spec_input, actions.Moment) else spec_input.name


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


def _clean_moment(spec_input: actions.Moment, form: ActionForm, data: dict) -> None:
    """Put the moment in ``data`` under the input's name if the date and the time are both real."""
    date = _moment_date(spec_input, form, data)
    time = _moment_time(spec_input, form, data)
    if date is not None and time is not None:
        data[spec_input.name] = dt.datetime.combine(date, time, tzinfo=clock.LONDON)


def _moment_date(spec_input: actions.Moment, form: ActionForm, data: dict) -> dt.date | None:
    what = spec_input.what
    return govuk_date(form, data, spec_input.prefix, blank=f"Enter the date of {what}",
                      incomplete=f"The date of {what} must include a day, month and year",
                      unreal=f"The date of {what} must be a real date")


def _moment_time(spec_input: actions.Moment, form: ActionForm, data: dict) -> dt.time | None:
    name = f"{spec_input.prefix}_time"
    raw = (data.get(name) or "").strip()
    if not raw:
        form.add_error(name, f"Enter the time of {spec_input.what}, for example 14:30")
        return None
    time = parse_time(raw)
    if time is None:
        form.add_error(name, f"The time of {spec_input.what} must be a real time, for example 14:30 or 2:30pm")
    return time
