"""What the pages' forms share: a service's refusal on the form, and the GOV.UK error summary's anchors.

Rendered by ``templates/includes/govuk_error_summary.html`` and ``govuk_field.html``.
"""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


class GovukFormMixin:
    """For a ``forms.Form``: the anchor of each error's input, and a service's errors on their fields."""

    def error_links(self) -> list[tuple[str, str]]:
        """List each error with the anchor of the input it belongs to (GOV.UK error summary)."""
        links = []
        for name, errors in self.errors.items():  # type: ignore[attr-defined]
            if name == "__all__" or name not in self.fields:  # type: ignore[attr-defined]
                anchor = "main-content"
            else:
                bound = self[name]  # type: ignore[index]
                multiple = isinstance(bound.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))
                anchor = f"{bound.auto_id}_0" if multiple else bound.auto_id
            links.extend((anchor, str(message)) for message in errors)
        return links

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's refusal on the form, each message on its field (or above the form)."""
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)  # type: ignore[attr-defined]
