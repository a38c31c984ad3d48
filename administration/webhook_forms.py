"""The webhook pages' forms: an endpoint, and the time range of deliveries to send again. They parse; the
webhooks' services decide, and their refusals land on the fields."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from core.forms import ServiceErrorsMixin, govuk_date
from escalations.forms import parse_time
from policies.clock import LONDON
from webhooks.event_types import EVENT_TYPES


class EndpointForm(ServiceErrorsMixin, forms.Form):
    """Add or change an endpoint: its name, URL, the kinds of event it is sent, and the child's display name."""

    name = forms.CharField(label="Name", required=False,
                           help_text="What you call it, such as the system it sends to: Mosaic, Liquid Logic.",
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    url = forms.CharField(label="URL", required=False,
                          help_text="Where each event is sent, as an HTTP POST. It must start with https://.",
                          widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off",
                                                        "inputmode": "url"}))
    kinds = forms.MultipleChoiceField(
        label="Kinds of event to send", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(kind, f"{label} ({kind})") for kind, label in EVENT_TYPES.items()],
        help_text="Each is a kind of entry on an escalation's timeline. Tick none to send every kind.",
        error_messages={"invalid_choice": "Choose from the kinds of event listed"},
    )
    include_display_name = forms.BooleanField(
        label="Send the child's display name with each event", required=False,
        help_text="Left unticked, an event names the case by its reference only.",
    )


class ReplayRangeForm(ServiceErrorsMixin, forms.Form):
    """From when to when (UK time): two GOV.UK date inputs, each with a time."""

    start_day = forms.CharField(label="Day", required=False)
    start_month = forms.CharField(label="Month", required=False)
    start_year = forms.CharField(label="Year", required=False)
    start_time = forms.CharField(label="Time of the first events", required=False, max_length=10,
                                 help_text="For example, 09:00 or 9am", widget=forms.TextInput(
                                     attrs={"class": "govuk-input--width-5", "autocomplete": "off"}))
    end_day = forms.CharField(label="Day", required=False)
    end_month = forms.CharField(label="Month", required=False)
    end_year = forms.CharField(label="Year", required=False)
    end_time = forms.CharField(label="Time of the last events", required=False, max_length=10,
                               help_text="For example, 17:30 or 5:30pm", widget=forms.TextInput(
                                   attrs={"class": "govuk-input--width-5", "autocomplete": "off"}))

    # The service's errors on ``start`` and ``end`` show on each date's first box.
    ALIASES = {"start": "start_day", "end": "end_day"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for prefix, what in (("start", "first"), ("end", "last")):
            data[prefix] = self._moment(data, prefix, what)
        return data

    def _moment(self, data: dict[str, Any], prefix: str, what: str) -> dt.datetime | None:
        date = govuk_date(self, data, prefix, blank=f"Enter the date of the {what} events to send again",
                          incomplete=f"The date of the {what} events must include a day, month and year",
                          unreal=f"The date of the {what} events must be a real date")
        name = f"{prefix}_time"
        raw = (data.get(name) or "").strip()
        time = parse_time(raw) if raw else None
        if not raw:
            self.add_error(name, f"Enter the time of the {what} events, for example 14:30")
        elif time is None:
            self.add_error(name, f"The time of the {what} events must be a real time, for example 14:30 or 2:30pm")
        if date is None or time is None:
            return None
        # The last minute given is included whole: 17:30 means up to 17:30:59.
        moment = dt.datetime.combine(date, time, tzinfo=LONDON)
        return moment + dt.timedelta(seconds=59, microseconds=999_999) if prefix == "end" else moment

    def add_service_errors(self, exc: Any) -> None:
        for field, messages in exc.message_dict.items():
            field = self.ALIASES.get(field, field)
            self.add_error(field if field in self.fields else None, messages)
