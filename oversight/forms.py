"""Forms of the oversight pages: they parse what was typed; the services decide whether it stands."""
from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from core.forms import GovukFormMixin
from core.text import TEXT_LIMIT
from escalations.models import LIVE_STATES, State
from organisations.models import User
from policies.models import RiskLevel

from .models import SystemicIssueKind, SystemicIssueStatus
from .selectors import OverviewChoices, OverviewFilters
from .services import TITLE_LIMIT

ANY = ("", "Any")


def parse_escalation_numbers(value: str) -> list[int]:
    """Read "12, 15" (or "#12 #15") as escalation numbers."""
    numbers = []
    for token in re.split(r"[,\s]+", (value or "").strip()):
        if not token:
            continue
        token = token.removeprefix("#")
        if not token.isdigit() or int(token) == 0:
            raise ValidationError("Enter escalation numbers separated by commas, like 12, 15.")
        numbers.append(int(token))
    return numbers


# --- the PSW's overview ------------------------------------------------------------------------------
class PswOverviewFilterForm(GovukFormMixin, forms.Form):
    """The overview's filters (a GET form: every choice is optional)."""

    state = forms.ChoiceField(label="State", required=False,
                              choices=[ANY, *[(s.value, s.label) for s in LIVE_STATES]])
    ladder = forms.ChoiceField(label="Procedure", required=False)
    stage = forms.TypedChoiceField(label="Level", required=False, coerce=int, empty_value=None)
    risk_level = forms.ChoiceField(label="Risk level", required=False, choices=[ANY, *RiskLevel.choices])
    overdue = forms.ChoiceField(label="Overdue", required=False,
                                choices=[ANY, ("yes", "Overdue"), ("no", "Not overdue")])
    team = forms.TypedChoiceField(label="Raiser's team", required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label="Category", required=False)
    holder = forms.TypedChoiceField(label="Holder", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, choices: OverviewChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ladder"].choices = [ANY, *choices.ladders]
        self.fields["stage"].choices = [ANY, *choices.stages]
        self.fields["team"].choices = [ANY, *choices.teams]
        self.fields["category"].choices = [ANY, *choices.categories]
        self.fields["holder"].choices = [ANY, *choices.holders]
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = f"Choose a {field.label.lower()} from the list."

    def filters(self) -> OverviewFilters:
        """The filters that were chosen and valid (an invalid one is reported and ignored)."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        overdue = {"yes": True, "no": False}.get(data.get("overdue") or "")
        return OverviewFilters(
            ladder=data.get("ladder") or "", stage=data.get("stage"), risk_level=data.get("risk_level") or "",
            overdue=overdue, team=data.get("team"), category=data.get("category") or "",
            holder=data.get("holder"), state=data.get("state") or "",
        )


# --- the QA&P chair's list ---------------------------------------------------------------------------
class BoardLoggedFilterForm(GovukFormMixin, forms.Form):
    state = forms.ChoiceField(label="State", required=False,
                              choices=[("", "Any"), ("live", "Live (not closed)"), *State.choices])
    ladder = forms.ChoiceField(label="Procedure", required=False)
    organisation = forms.ChoiceField(label="Organisation", required=False)

    def __init__(self, *args, ladders: list[tuple[str, str]], organisations: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ladder"].choices = [ANY, *ladders]
        self.fields["organisation"].choices = [ANY, *organisations]
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = f"Choose a {field.label.lower()} from the list."

    def filters(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        return {name: data.get(name) or "" for name in ("state", "ladder", "organisation")}


# --- systemic issues ---------------------------------------------------------------------------------
class SystemicIssueFilterForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[ANY, *SystemicIssueStatus.choices],
                               error_messages={"invalid_choice": "Choose a status from the list."})
    kind = forms.ChoiceField(label="Kind of issue", required=False, choices=[ANY, *SystemicIssueKind.choices],
                             error_messages={"invalid_choice": "Choose a kind of issue from the list."})

    def filters(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        return {"status": data.get("status") or "", "kind": data.get("kind") or ""}


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        role = obj.get_role_display()
        return f"{obj.display_name} ({obj.job_title or role})"


class EscalationNumbersField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label="Related escalations", required=False, max_length=1000,
            help_text="The numbers of escalations that show this issue, separated by commas, like 12, 15.",
            **kwargs,
        )

    def to_python(self, value) -> list[int]:
        return parse_escalation_numbers(super().to_python(value))

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(number) for number in value)
        return value


class SystemicIssueCreateForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What kind of issue is it?", choices=SystemicIssueKind.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of issue.", "invalid_choice": "Choose the kind of issue."},
    )
    title = forms.CharField(label="Title", required=False, max_length=TITLE_LIMIT,
                            error_messages={"max_length": f"The title must be {TITLE_LIMIT} characters or fewer."})
    description = forms.CharField(
        label="Describe the issue", required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What happens, where, and how it gets in the way of resolving disagreements.",
        max_length=TEXT_LIMIT,
        error_messages={"max_length": f"The description must be {TEXT_LIMIT:,} characters or fewer."},
    )
    owner = OwnerField(
        label="Owner", queryset=User.objects.none(), empty_label="Choose a person",
        help_text="The member of staff who will see it through.",
        error_messages={"required": "Choose who owns this issue.",
                        "invalid_choice": "Choose the owner from the list."},
    )
    escalations = EscalationNumbersField()

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class SystemicIssueUpdateForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=SystemicIssueStatus.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the status.", "invalid_choice": "Choose open, in progress or resolved."},
    )
    owner = OwnerField(
        label="Owner", queryset=User.objects.none(), empty_label="Choose a person",
        error_messages={"required": "Choose who owns this issue.",
                        "invalid_choice": "Choose the owner from the list."},
    )
    resolution = forms.CharField(
        label="Resolution", required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=TEXT_LIMIT,
        help_text="What was done about it. Needed once the issue is resolved.",
        error_messages={"max_length": f"The resolution must be {TEXT_LIMIT:,} characters or fewer."},
    )
    escalations = EscalationNumbersField()

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners

