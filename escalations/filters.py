"""The filters of a list of escalations, as django-filter FilterSets shared by the API and the pages.

``EscalationFilter`` is the API's (GET /api/v1/escalations/): a bad value answers 400.
``EscalationListFilter`` is the same FilterSet as the lists show it (My escalations, Awaiting my
response, My team's): status by group or by state, and the procedure chosen among the list's own;
a bad value is reported on the form and ignored.
"""
from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from core.filters import PageFilterSet
from policies.models import Ladder, RiskLevel

from .models import AWAITING_HOLDER, LIVE_STATES, Escalation, EscalationQuerySet, State

CLOSED_STATES = (State.RESOLVED, State.WITHDRAWN)

# The status filter of every list: a group of states, or one state.
STATE_FILTERS: dict[str, tuple[str, ...]] = {
    "live": tuple(LIVE_STATES),
    "awaiting": tuple(AWAITING_HOLDER),
    "closed": CLOSED_STATES,
    **{state.value: (state.value,) for state in State},
}

STATE_CHOICES = [
    ("all", "All"),
    ("live", "Live (not yet resolved or withdrawn)"),
    ("awaiting", "Awaiting the holder's response"),
    ("closed", "Closed (resolved or withdrawn)"),
    *[(state.value, state.label) for state in State],
]


@extend_schema_field({"type": "string", "enum": ["me"]})
class MeFilter(filters.ChoiceFilter):
    """``me``: those where the signed-in person is the holder (or the raiser)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("me", "me")])
        kwargs.setdefault("method", "filter_me")
        super().__init__(*args, **kwargs)


class EscalationFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=State.choices)
    ladder = filters.CharFilter(field_name="ladder__slug", max_length=50, help_text="A ladder's slug.")
    risk_level = filters.ChoiceFilter(choices=RiskLevel.choices)
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="true: overdue now; false: not overdue.")
    holder = MeFilter(help_text="`me`: those you hold.")
    raised_by = MeFilter(help_text="`me`: those you raised.")
    case = filters.CharFilter(field_name="case__reference", max_length=64, help_text="A case reference.")

    class Meta:
        model = Escalation
        fields = ["state", "ladder", "risk_level", "overdue", "holder", "raised_by", "case"]

    def filter_overdue(self, queryset: EscalationQuerySet, name: str, value: bool | None) -> EscalationQuerySet:
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.overdue(now=now) if value else queryset.not_overdue(now=now)

    def filter_me(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value != "me":
            return queryset
        if not self.request.user.is_authenticated:
            return queryset.none()  # a service token is nobody: it holds and raised none
        return queryset.filter(**{f"{name}_id": self.request.user.pk})


class EscalationListFilter(PageFilterSet, EscalationFilter):
    """The lists' status (a group of states, or one state) and procedure (among the list's own ladders).

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
    # The lists filter by status and procedure only.
    risk_level = overdue = holder = raised_by = case = None  # type: ignore[assignment]

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
        """A group of states (live, awaiting, closed), one state, or all of them."""
        if value == "all":
            return queryset
        return queryset.filter(state__in=STATE_FILTERS[value])

    def filter_ladder(self, queryset: QuerySet, name: str, value: Ladder) -> QuerySet:
        """Every version of the procedure: an escalation stays on the version it was raised under."""
        return queryset.filter(ladder__slug=value.slug)
