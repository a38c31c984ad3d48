"""What the pages' filters share: a bad value is reported on the form and ignored, the others still apply.

A page builds its ``FilterSet`` from ``request.GET or None`` and renders ``filterset.form`` with the
GOV.UK renderer; ``filterset.qs`` applies only the valid choices (django-filter leaves an invalid
field out of ``cleaned_data``), where the API's filter backend answers 400 instead.
"""
from __future__ import annotations

import django_filters
from django.core.validators import EMPTY_VALUES


def choose_from_the_list(what: str) -> dict[str, str]:
    """The error of a choice that is not on the list: "Choose a procedure from the list."."""
    return {"invalid_choice": f"Choose a {what} from the list."}


class PageFilterSet(django_filters.FilterSet):
    @property
    def filtered(self) -> bool:
        """Whether a valid filter was chosen: the page then says "Clear filters"."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # fills cleaned_data with the valid choices
        return any(value not in EMPTY_VALUES for value in self.form.cleaned_data.values())
