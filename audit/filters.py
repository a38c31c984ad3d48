"""The access log's filters: by escalation, person, kind of access and dates (a bad value is named and ignored
on the page, and answered 400 by the API)."""
from __future__ import annotations

import django_filters

from core.filters import PageFilterSet, choose_from_the_list

from .models import AccessEvent, Action, Outcome


class AccessLogFilter(PageFilterSet):
    escalation = django_filters.NumberFilter(
        label="Escalation number", field_name="escalation_id", min_value=1,
        error_messages={"invalid": "Enter the escalation's number, like 42.",
                        "min_value": "Enter the escalation's number, like 42."},
    )
    person = django_filters.CharFilter(label="Person (username)", field_name="username", lookup_expr="iexact",
                                       max_length=150)
    action = django_filters.ChoiceFilter(label="What", choices=Action.choices, empty_label="Any",
                                         error_messages=choose_from_the_list("kind of access"))
    outcome = django_filters.ChoiceFilter(label="Outcome", choices=Outcome.choices, empty_label="Any",
                                          error_messages=choose_from_the_list("outcome"))
    from_date = django_filters.DateFilter(
        label="From (YYYY-MM-DD)", field_name="at", lookup_expr="date__gte",
        error_messages={"invalid": "Enter the first day as a date, like 2026-11-01."},
    )
    to_date = django_filters.DateFilter(
        label="To (YYYY-MM-DD)", field_name="at", lookup_expr="date__lte",
        error_messages={"invalid": "Enter the last day as a date, like 2026-11-30."},
    )

    class Meta:
        model = AccessEvent
        fields = ["escalation", "person", "action", "outcome", "from_date", "to_date"]
