"""The absence pages' form: who is away, from and to (two GOV.UK date inputs), and who covers."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from core.forms import ServiceErrorsMixin, govuk_date

from .absences import absence_cover_choices, absence_person_choices
from .models import User


class _PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


# Each date is three boxes; the service's errors on ``starts_on`` and ``ends_on`` show on the day's box.
DATES = (("starts_on", "starts", "first day"), ("ends_on", "ends", "last day"))


class AbsenceForm(ServiceErrorsMixin, forms.Form):
    """Record or change an absence. ``person`` is offered only to someone who manages others."""

    person = _PersonField(queryset=User.objects.none(), label="Who is away?", empty_label=None,
                          error_messages={"required": "Choose who is away",
                                          "invalid_choice": "Choose one of the people listed"})
    starts_day = forms.CharField(label="Day", required=False)
    starts_month = forms.CharField(label="Month", required=False)
    starts_year = forms.CharField(label="Year", required=False)
    ends_day = forms.CharField(label="Day", required=False)
    ends_month = forms.CharField(label="Month", required=False)
    ends_year = forms.CharField(label="Year", required=False)
    cover = _PersonField(queryset=User.objects.none(), required=False, label="Who covers? (optional)",
                         empty_label="Nobody named: the next holder by the usual rule",
                         help_text="They take the stages the person holds from the first day of the absence, where "
                                   "their role allows it.",
                         error_messages={"invalid_choice": "Choose one of the people listed"})

    def __init__(self, *args: Any, actor: User, person: User | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if person is not None:  # changing an absence: the person is fixed
            del self.fields["person"]
            self.fixed_person: User | None = person
        else:
            self.fixed_person = None
            self.fields["person"].queryset = absence_person_choices(actor=actor)
            self.fields["person"].initial = actor.pk
        self.fields["cover"].queryset = absence_cover_choices(person=person or actor)

    @property
    def offers_person(self) -> bool:
        return "person" in self.fields and self.fields["person"].queryset.count() > 1

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        person = self.fixed_person or data.get("person")
        if person is not None and "cover" in self.fields:
            cover = data.get("cover")
            if cover is not None and cover.pk == person.pk:
                self.add_error("cover", "The cover must be someone other than the person who is away")
        for name, prefix, what in DATES:
            data[name] = self._date(prefix, what, data)
        return data

    def _date(self, prefix: str, what: str, data: dict[str, Any]) -> dt.date | None:
        return govuk_date(self, data, prefix, blank=f"Enter the {what} of the absence",
                          incomplete=f"The {what} must include a day, month and year",
                          unreal=f"The {what} must be a real date")

    def add_service_errors(self, exc) -> None:  # type: ignore[no-untyped-def]
        aliases = {"starts_on": "starts_day", "ends_on": "ends_day"}
        for field, messages in exc.message_dict.items():
            field = aliases.get(field, field)
            self.add_error(field if field in self.fields else None, messages)

    @staticmethod
    def initial_for(starts_on: dt.date, ends_on: dt.date, cover: User | None) -> dict[str, Any]:
        return {"starts_day": starts_on.day, "starts_month": starts_on.month, "starts_year": starts_on.year,
                "ends_day": ends_on.day, "ends_month": ends_on.month, "ends_year": ends_on.year,
                "cover": cover.pk if cover else None}
