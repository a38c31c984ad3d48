"""The form that makes an API token: a name, what it may do (checkboxes) and its last day (a GOV.UK date input)."""
from __future__ import annotations

from typing import Any

from django import forms

from core.forms import ServiceErrorsMixin, govuk_date
from identity.models import Scope
from identity.service_tokens import NAME_MISSING, SCOPES_MISSING


class ServiceTokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label="Name", required=False,
        help_text="Which system uses it, for example “Mosaic (children's social care)”. Never a child's name.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do", required=False, choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Choose only what the system needs. Raising lets it raise an escalation in the name of the "
                  "member of staff it names, who must be able to raise one here.",
    )
    expires_day = forms.CharField(label="Day", required=False)
    expires_month = forms.CharField(label="Month", required=False)
    expires_year = forms.CharField(label="Year", required=False)

    def clean(self) -> dict[str, Any]:
        """Every missing answer at once (the service decides the rest, and again these)."""
        data = super().clean()
        if not (data.get("name") or "").strip():
            self.add_error("name", NAME_MISSING)
        if not data.get("scopes"):
            self.add_error("scopes", SCOPES_MISSING)
        data["last_day"] = govuk_date(self, data, "expires", blank="Enter the last day the token works",
                                      incomplete="The last day the token works must include a day, month and year",
                                      unreal="The last day the token works must be a real date")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {"name": self.cleaned_data.get("name", ""), "scopes": self.cleaned_data.get("scopes") or [],
                "last_day": self.cleaned_data.get("last_day")}

    def add_service_errors(self, exc) -> None:  # type: ignore[no-untyped-def]
        """The service names ``last_day``: its message goes on the date input's day box."""
        for field, messages in exc.message_dict.items():
            field = "expires_day" if field == "last_day" else field
            self.add_error(field if field in self.fields else None, messages)
