"""The oversight pages' filters: the PSW's overview, the QA&P chair's list and the systemic-issues register.

Each is a django-filter ``FilterSet`` whose form the page renders; a bad value is reported and
ignored (``core.filters.PageFilterSet``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.filters import PageFilterSet, choose_from_the_list
from escalations.models import LIVE_STATES, EscalationQuerySet, State
from policies.models import RiskLevel

from .models import SystemicIssueKind, SystemicIssueStatus
from .selectors import OverviewChoices, holders_named

ANY = ("", "Any")
HOLDER_NAME_LIMIT = 150  # the longest username, and more than any first and last name together


class HolderNameField(forms.CharField):
    """Part of the name or username of one of ``holders``, cleaned to the ids of those it names.

    A text box, not a list to choose from: an organisation's live escalations have hundreds of holders
    (its own staff and its partners'), too many to read through in a list, and each of them a form option
    to render (docs/performance.md, "Third round").
    """

    default_error_messages = {
        "no_match": "No one holding one of these escalations has a name like that: enter part of a holder's "
                    "name or username.",
        "max_length": f"Enter at most {HOLDER_NAME_LIMIT} characters of the holder's name.",
    }

    def __init__(self, *, holders: QuerySet | None = None, **kwargs: Any):
        self.holders = holders
        kwargs.setdefault("max_length", HOLDER_NAME_LIMIT)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[int] | None:
        text = super().clean(value)
        if not text:
            return None
        ids = holders_named(holders=self.holders, text=text) if self.holders is not None else []
        if not ids:
            raise ValidationError(self.error_messages["no_match"], code="no_match")
        return ids


class HolderNameFilter(django_filters.Filter):
    field_class = HolderNameField


# --- the PSW's overview ------------------------------------------------------------------------------
class PswOverviewFilter(PageFilterSet):
    """The overview's filters (a GET form: every choice is optional); the choices come from the PSW's organisation."""

    state = django_filters.ChoiceFilter(
        label="State", choices=[(s.value, s.label) for s in LIVE_STATES], empty_label="Any",
        error_messages=choose_from_the_list("state"),
    )
    ladder = django_filters.ChoiceFilter(label="Procedure", field_name="ladder__slug", empty_label="Any",
                                         error_messages=choose_from_the_list("procedure"))
    stage = django_filters.TypedChoiceFilter(label="Level", field_name="stage_index", coerce=int, empty_value=None,
                                             error_messages=choose_from_the_list("level"))
    risk_level = django_filters.ChoiceFilter(label="Risk level", choices=RiskLevel.choices, empty_label="Any",
                                             error_messages=choose_from_the_list("risk level"))
    overdue = django_filters.ChoiceFilter(
        label="Overdue", choices=[("yes", "Overdue"), ("no", "Not overdue")], empty_label="Any",
        method="filter_overdue", error_messages=choose_from_the_list("overdue"),
    )
    team = django_filters.TypedChoiceFilter(label="Raiser's team", field_name="raised_by__team_id", coerce=int,
                                            empty_value=None, error_messages=choose_from_the_list("raiser's team"))
    category = django_filters.ChoiceFilter(label="Category", empty_label="Any",
                                           error_messages=choose_from_the_list("category"))
    holder = HolderNameFilter(label="Holder", method="filter_holder",
                              help_text="Part of a name or username, for example Mensah")

    def __init__(self, data: Any = None, queryset: QuerySet | None = None, *, choices: OverviewChoices,
                 now: dt.datetime | None = None, **kwargs: Any):
        super().__init__(data, queryset, **kwargs)
        self.now = now or timezone.now()
        self.filters["ladder"].extra["choices"] = choices.ladders
        self.filters["stage"].extra["choices"] = [ANY, *choices.stages]
        self.filters["team"].extra["choices"] = [ANY, *choices.teams]
        self.filters["category"].extra["choices"] = choices.categories
        self.filters["holder"].extra["holders"] = choices.holders

    def filter_overdue(self, queryset: EscalationQuerySet, name: str, value: str) -> EscalationQuerySet:
        if value == "yes":
            return queryset.overdue(now=self.now)
        return queryset.not_overdue(now=self.now)

    def filter_holder(self, queryset: EscalationQuerySet, name: str, value: list[int]) -> EscalationQuerySet:
        """Held by one of the people the name names (``HolderNameField`` cleaned it to their ids)."""
        return queryset.filter(holder_id__in=value)


# --- the QA&P chair's list ---------------------------------------------------------------------------
class BoardLoggedFilter(PageFilterSet):
    """The chair's filters; the procedures and organisations are the partnership's."""

    state = django_filters.ChoiceFilter(
        label="State", choices=[("live", "Live (not closed)"), *State.choices], empty_label="Any",
        method="filter_state", error_messages=choose_from_the_list("state"),
    )
    ladder = django_filters.ChoiceFilter(label="Procedure", field_name="ladder__slug", empty_label="Any",
                                         error_messages=choose_from_the_list("procedure"))
    organisation = django_filters.ChoiceFilter(label="Organisation", empty_label="Any", method="filter_organisation",
                                               error_messages=choose_from_the_list("organisation"))

    def __init__(self, data: Any = None, queryset: QuerySet | None = None, *,
                 ladders: list[tuple[str, str]], organisations: list[tuple[str, str]], **kwargs: Any):
        super().__init__(data, queryset, **kwargs)
        self.filters["ladder"].extra["choices"] = ladders
        self.filters["organisation"].extra["choices"] = organisations

    def filter_state(self, queryset: EscalationQuerySet, name: str, value: str) -> EscalationQuerySet:
        return queryset.live() if value == "live" else queryset.filter(state=value)

    def filter_organisation(self, queryset: EscalationQuerySet, name: str, value: str) -> EscalationQuerySet:
        """Either side of the disagreement: the raising or the receiving organisation."""
        return queryset.filter(Q(raising_organisation__slug=value) | Q(receiving_organisation__slug=value))


# --- systemic issues ---------------------------------------------------------------------------------
class SystemicIssueFilter(PageFilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=SystemicIssueStatus.choices, empty_label="Any",
                                         error_messages=choose_from_the_list("status"))
    kind = django_filters.ChoiceFilter(label="Kind of issue", choices=SystemicIssueKind.choices, empty_label="Any",
                                       error_messages=choose_from_the_list("kind of issue"))
