"""The filters of a list of escalations, as django-filter FilterSets.

``EscalationListFilter`` is the lists' (My escalations, Awaiting my response, My team's): status
and procedure, a bad value reported on the form and ignored.
"""
from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from core.filters import PageFilterSet
from policies.models import Ladder

from .forms import STATE_CHOICES
from .models import Escalation
from .selectors import STATE_FILTERS


class EscalationListFilter(PageFilterSet):
    """A list's status (a group of states, or one state) and procedure (among the list's own ladders).

    Until a status is chosen the list shows its ``default_state``: every escalation on My
    escalations, the live ones on the holder's and the team's lists.
    """

    state = django_filters.ChoiceFilter(
        label="Status", choices=STATE_CHOICES, empty_label=None, method="filter_state",
        error_messages={"invalid_choice": "Choose a status from the list"},
    )
    ladder = django_filters.ModelChoiceFilter(
        label="Procedure", queryset=Ladder.objects.none(), to_field_name="slug", empty_label="All procedures",
        method="filter_ladder", error_messages={"invalid_choice": "Choose a procedure from the list"},
    )

    class Meta:
        model = Escalation
        fields = ["state", "ladder"]

    def __init__(self, data: Any = None, queryset: QuerySet | None = None, *, ladders: QuerySet[Ladder],
                 default_state: str = "all", **kwargs: Any):
        super().__init__(data, queryset, **kwargs)
        self.default_state = default_state
        self.filters["ladder"].queryset = ladders
        self.filters["state"].extra["initial"] = default_state

    @property
    def qs(self) -> QuerySet:
        """The list with the valid choices applied, in the default state until one is chosen."""
        if not hasattr(self, "_list_qs"):
            queryset = super().qs
            if not (self.is_bound and self.form.cleaned_data.get("state")):
                queryset = self.filter_state(queryset, "state", self.default_state)
            self._list_qs = queryset
        return self._list_qs

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "all":
            return queryset
        return queryset.filter(state__in=STATE_FILTERS[value])

    def filter_ladder(self, queryset: QuerySet, name: str, value: Ladder) -> QuerySet:
        """Every version of the procedure: an escalation stays on the version it was raised under."""
        return queryset.filter(ladder__slug=value.slug)
