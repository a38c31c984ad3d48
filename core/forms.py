"""The one GOV.UK form renderer, and a service's refusal put on a form.

``settings.FORM_RENDERER`` names ``GovukFormRenderer``, so every form renders through
``core/templates/govuk/``: ``{{ form }}`` (every field in order), ``{{ form.x.as_field_group }}``
(one field as a GOV.UK form group), ``{% govuk_field form.x classes=... %}`` (the same, with the
page's layout classes) and ``{% govuk_error_summary form %}`` ("There is a problem"); the tags
live in ``core/templatetags/govuk.py``. Each field picks the GOV.UK component for its widget:
text input, textarea, select, radios, checkboxes, file upload, or a hidden input.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates

# The GOV.UK component of each kind of control, and the class of its element.
CONTROL_CLASSES = {
    "input": "govuk-input",
    "file": "govuk-file-upload",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
}

# Attributes the templates write themselves, or leave out on purpose: GOV.UK forms validate on the
# server (``novalidate``), ``maxlength`` would cut a long answer short without saying so, and a
# GOV.UK textarea takes its width from its class, not ``cols``.
OWN_ATTRIBUTES = {"id", "class", "name", "type", "value", "aria-describedby", "aria-invalid",
                  "required", "maxlength", "checked", "selected", "cols"}


def govuk_kind(widget: forms.Widget) -> str:
    """Name the GOV.UK component that shows this widget."""
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):  # a subclass of RadioSelect: ask first
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):  # includes SelectMultiple and NullBooleanSelect
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"  # TextInput, EmailInput, NumberInput, PasswordInput, DateInput, DateTimeInput, ...


class GovukBoundField(BoundField):
    """A bound field that knows its GOV.UK component, its hint and error ids and its summary anchor."""

    @property
    def govuk_kind(self) -> str:
        return govuk_kind(self.field.widget)

    @property
    def in_fieldset(self) -> bool:
        """Radios and checkboxes are a group: a fieldset with a legend, not a label."""
        return self.govuk_kind in ("radios", "checkboxes")

    @property
    def hint_id(self) -> str:
        return f"{self.auto_id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.auto_id}-error"

    @property
    def govuk_describedby(self) -> str:
        """The ids of the hint and the error message, for ``aria-describedby``."""
        return " ".join(part for part, present in ((self.hint_id, bool(self.help_text)),
                                                   (self.error_id, bool(self.errors))) if present)

    @property
    def error_anchor(self) -> str:
        """The id the error summary links to: the first radio or checkbox of a group, else the control."""
        if self.in_fieldset:
            return f"{self.auto_id}_0"
        return self.id_for_label or self.auto_id

    @property
    def control_class(self) -> str:
        """The control's classes: the component's, its error modifier, and the widget's own."""
        base = CONTROL_CLASSES.get(self.govuk_kind, "")
        classes = [base] if base else []
        if base and self.errors:
            classes.append(f"{base}--error")
        if own := self.field.widget.attrs.get("class"):
            classes.append(own)
        return " ".join(classes)

    @property
    def govuk_widget(self) -> dict[str, Any]:
        """The widget's own context (value, type, options) with the attributes the templates do not write."""
        widget = self.field.widget
        context = widget.get_context(self.html_name, self.value(), {"id": self.auto_id} if self.auto_id else {})
        data = context["widget"]
        data["extra_attrs"] = {name: value for name, value in data["attrs"].items() if name not in OWN_ATTRIBUTES}
        if "optgroups" in data:
            # GOV.UK's select, radios and checkboxes show one flat list of options.
            data["options"] = [
                {**option, "id": option["attrs"].get("id", ""), "hint": self._option_hint(option["value"]),
                 "extra_attrs": {name: value for name, value in option["attrs"].items()
                                 if name not in OWN_ATTRIBUTES}}
                for _group, options, _index in data["optgroups"] for option in options
            ]
        return data

    def _option_hint(self, value: Any) -> str:
        """A radio's or checkbox's own hint: a model choice field may say it with ``hint_from_instance(obj)``."""
        hint_from_instance = getattr(self.field, "hint_from_instance", None)
        instance = getattr(value, "instance", None)  # a ModelChoiceIteratorValue
        if hint_from_instance is None or instance is None:
            return ""
        return hint_from_instance(instance)


class GovukFormRenderer(DjangoTemplates):
    """Render every form, field and error summary as GOV.UK Frontend components (core/templates/govuk/)."""

    form_template_name = "govuk/form.html"
    field_template_name = "govuk/field.html"
    bound_field_class = GovukBoundField


class ServiceErrorsMixin:
    """For a ``forms.Form``: put a service's refusal on the form, each message on its field."""

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put each message of a service's ValidationError on its field, or above the form."""
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)  # type: ignore[attr-defined]


def govuk_date(form: forms.Form, data: dict[str, Any], prefix: str, *, blank: str, incomplete: str,
               unreal: str) -> dt.date | None:
    """Read a GOV.UK date input (``<prefix>_day``, ``_month``, ``_year``) from ``data``.

    Returns the date, or ``None`` with one message for the whole date on the day field, as the GOV.UK
    date input pattern asks: ``blank`` when nothing is given, ``incomplete`` when a part is missing,
    ``unreal`` when the parts are not numbers or not a date in the calendar.
    """
    names = [f"{prefix}_{part}" for part in ("day", "month", "year")]
    parts = [(data.get(name) or "").strip() for name in names]
    for name in names:
        form.errors.pop(name, None)
    message = None
    if not any(parts):
        message = blank
    elif not all(parts):
        message = incomplete
    elif not all(part.isdigit() for part in parts):
        message = unreal
    elif len(parts[2]) != 4:
        message = "The year must include 4 numbers"
    if message is None:
        try:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            message = unreal
    form.add_error(names[0], message)
    return None
