"""The ids-first paginator: the same pages as Django's, in the same order, with the count from the ids' read."""
from __future__ import annotations

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F

from core.pagination import MAX_OFFSET, IdsFirstPaginator
from organisations.models import Organisation
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    organisation = OrganisationFactory(slug="paging", name="Paging")
    # Names out of id order, so that the list's own order is what the pages must keep.
    return [UserFactory(organisation=organisation, username=f"person-{n:02d}", last_name=f"{(n * 7) % 23:02d}")
            for n in range(23)]


def _list():
    from organisations.models import User

    return User.objects.filter(organisation__slug="paging").select_related("organisation").order_by("last_name", "pk")


def test_every_page_holds_the_rows_djangos_paginator_gives_in_the_same_order(people):
    ours, theirs = IdsFirstPaginator(_list(), 5), Paginator(_list(), 5)
    for number in range(1, 6):
        assert [u.pk for u in ours.page(number)] == [u.pk for u in theirs.page(number)]
    assert ours.count == theirs.count == 23
    assert ours.num_pages == 5


def test_a_page_takes_two_statements_the_ids_with_the_count_then_the_rows(people, django_assert_num_queries):
    paginator = IdsFirstPaginator(_list(), 5)
    with django_assert_num_queries(2):
        page = paginator.page(2)
        rows = list(page)
        assert paginator.count == 23
        assert page.has_next() and page.has_previous()
        assert [row.organisation.slug for row in rows] == ["paging"] * 5  # joined in the rows' read


def test_a_page_past_the_end_is_refused_and_get_page_shows_the_last(people):
    paginator = IdsFirstPaginator(_list(), 5)
    with pytest.raises(EmptyPage):
        paginator.page(9)
    assert paginator.get_page(9).number == 5
    assert [u.pk for u in IdsFirstPaginator(_list(), 5).get_page(9)] == [u.pk for u in Paginator(_list(), 5).page(5)]


@pytest.mark.parametrize("number", ["0", "-1", "x", "1.5", None])
def test_a_number_that_is_not_a_page_is_refused_and_get_page_shows_what_django_shows(people, number):
    paginator = IdsFirstPaginator(_list(), 5)
    with pytest.raises((EmptyPage, PageNotAnInteger)):
        paginator.page(number)
    assert IdsFirstPaginator(_list(), 5).get_page(number).number == Paginator(_list(), 5).get_page(number).number


def test_a_page_too_far_for_the_database_is_past_the_end(people):
    paginator = IdsFirstPaginator(_list(), 5)
    with pytest.raises(EmptyPage):
        paginator.page(MAX_OFFSET // 5 + 2)
    with pytest.raises(EmptyPage):
        paginator.page(10**30)


def test_an_empty_list_has_one_empty_first_page(people):
    paginator = IdsFirstPaginator(_list().filter(username="nobody"), 5)
    page = paginator.page(1)
    assert list(page) == [] and paginator.count == 0 and paginator.num_pages == 1


def test_a_distinct_list_and_a_python_list_are_paged_as_django_does(people):
    distinct = Organisation.objects.filter(staff__username__startswith="person-").distinct().order_by("pk")
    paginator = IdsFirstPaginator(distinct, 5)
    assert paginator.count == 1 and [o.slug for o in paginator.page(1)] == ["paging"]
    assert [n for n in IdsFirstPaginator(list(range(12)), 5).page(3)] == [10, 11]


def test_rows_removed_between_the_two_reads_are_left_out_not_an_error(people, monkeypatch):
    paginator = IdsFirstPaginator(_list().annotate(surname=F("last_name")), 5)
    original = IdsFirstPaginator._rows

    def rows_after_a_deletion(self, ids):
        from organisations.models import User

        User.objects.filter(pk=ids[0]).update(is_active=False, organisation=OrganisationFactory(slug="elsewhere"))
        return original(self, ids).filter(organisation__slug="paging")

    monkeypatch.setattr(IdsFirstPaginator, "_rows", rows_after_a_deletion)
    assert len(paginator.page(1)) == 4
