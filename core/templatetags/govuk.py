"""The GOV.UK form tags: a field with the page's layout classes, and a form's error summary.

Both render through the form's renderer (``core.forms.GovukFormRenderer``), from the same templates
as ``{{ form }}`` and ``{{ form.x.as_field_group }}``.
"""
from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def govuk_field(field: BoundField, classes: str = "", label_class: str | None = None,
                heading: bool = False) -> SafeString:
    """Render a field as its GOV.UK form group.

    ``classes`` go on the control (``govuk-!-width-full``, ``govuk-input--width-10``), ``label_class``
    replaces the label's or legend's size, small unless given (``govuk-label--m``; ``""`` for the
    regular size), and ``heading`` makes the label the page's heading.
    """
    return field.render(context={"field": field, "classes": classes, "label_class": label_class, "heading": heading})


@register.simple_tag
def govuk_error_summary(form: forms.BaseForm | None, anchor: str = "") -> SafeString | str:
    """Render "There is a problem" with a link to each error's input; nothing when the form has no errors.

    An error of the whole form links to ``anchor`` (the main content unless given).
    """
    if form is None or not form.errors:
        return ""
    return form.render(template_name="govuk/error_summary.html", context={"form": form, "anchor": anchor})


@register.simple_tag
def govuk_date_input(day: BoundField, month: BoundField, year: BoundField, legend: str, hint: str = "",
                     label_class: str | None = None) -> SafeString:
    """Render three fields as one GOV.UK date input: a fieldset with one hint and one error message.

    The date's errors show together (a form puts one message on the day); the error summary's link to
    the day's box lands on the first box.
    """
    errors = [*day.errors, *month.errors, *year.errors]
    describedby = " ".join(part for part, present in ((f"{day.auto_id}-hint", bool(hint)),
                                                      (f"{day.auto_id}-error", bool(errors))) if present)
    # The template escapes what it shows; the renderer returns plain text.
    return mark_safe(day.form.renderer.render("govuk/date_input.html", {
        "day": day, "legend": legend, "hint": hint, "label_class": label_class, "errors": errors,
        "describedby": describedby, "boxes": [(day, 2), (month, 2), (year, 4)],
    }))
