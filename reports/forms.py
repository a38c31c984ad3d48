"""The themes report's form: the period it covers and, for an administrator, whose report it is."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .selectors import ReportPeriod, ReportScope, report_period_parse


class DateInput(forms.DateInput):
    """The browser's own date picker, sending YYYY-MM-DD as the API does."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None):
        super().__init__(attrs={"class": "govuk-input--width-10", **(attrs or {})}, format="%Y-%m-%d")


class ReportPeriodForm(forms.Form):
    """``from`` and ``to`` (checked by ``report_period_parse``, as the API and the CSV files check them).

    Bound to the query, it reports a bad date on its field; built with ``showing()`` it shows the
    period the report covers, the defaults filled in.
    """

    def __init__(self, *args: Any, partnerships: list[tuple[str, str]] | None = None,
                 organisations: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if partnerships is not None:
            self.fields["partnership"] = forms.ChoiceField(
                label="Partnership", required=False, choices=[("", "(choose an organisation instead)"), *partnerships],
            )
            self.fields["organisation"] = forms.ChoiceField(
                label="Organisation", required=False, choices=[("", "(the partnership above)"), *(organisations or [])],
            )
        # "from" is a Python keyword, so the period's fields are declared here rather than on the class.
        self.fields["from"] = forms.CharField(label="From", required=False, widget=DateInput())
        self.fields["to"] = forms.CharField(label="To", required=False, widget=DateInput())

    @classmethod
    def showing(cls, *, period: ReportPeriod, scope: ReportScope, **choices: Any) -> ReportPeriodForm:
        """The form for the report on screen: its period and its partnership or organisation."""
        return cls(initial={**scope.as_query(), **period.as_query()}, **choices)

    def clean(self) -> dict[str, Any]:
        try:
            self.cleaned_data["period"] = report_period_parse(query=self.data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field, messages)
        return self.cleaned_data
