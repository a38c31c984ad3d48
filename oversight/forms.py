"""Forms of the oversight pages: they parse what was typed; the services decide whether it stands.

The lists' filters are FilterSets, in ``filters.py``."""
from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from core.forms import ServiceErrorsMixin
from core.text import TEXT_LIMIT
from organisations.models import User

from .models import SystemicIssueKind, SystemicIssueStatus
from .services import TITLE_LIMIT


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


# --- systemic issues ---------------------------------------------------------------------------------
class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        role = obj.get_role_display()
        return f"{obj.display_name} ({obj.job_title or role})"


class EscalationNumbersField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label="Related escalations", required=False, max_length=1000,
            widget=forms.TextInput(attrs={"class": "govuk-!-width-one-half"}),
            help_text="The numbers of escalations that show this issue, separated by commas, like 12, 15.",
            **kwargs,
        )

    def to_python(self, value) -> list[int]:
        return parse_escalation_numbers(super().to_python(value))

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(number) for number in value)
        return value


class SystemicIssueCreateForm(ServiceErrorsMixin, forms.Form):
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


class SystemicIssueUpdateForm(ServiceErrorsMixin, forms.Form):
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

