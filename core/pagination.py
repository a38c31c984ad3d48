"""Pages of a long list in two short statements: the page's ids, then its rows.

Django's ``Paginator`` counts the list, then reads the page with every join its rows show. On a table
of 100,000 escalations both are slow for the same reason: the database filters and orders the rows
*after* joining the case, the ladder, both organisations and three people to each of them, and plans
a join of eight tables each time (docs/performance.md). ``IdsFirstPaginator`` instead

1. reads the ids of the page from the table alone, filtered and ordered as the list is, with the
   list's length from a window function in the same statement (``COUNT(*) OVER ()``);
2. reads those rows by id, with their joins and prefetches, and puts them back in the page's order.

So the count costs no statement of its own, and the joins touch 25 rows, not the whole list. A page
past the end is the one case that counts on its own (``get_page`` then shows the last page).
"""
from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, QuerySet, Window

# Past this many rows a page is past the end of any list the product holds: count to say so.
MAX_OFFSET = 2**31


class IdsFirstPaginator(Paginator):
    """A ``Paginator`` of a queryset that reads a page's ids (and the total) first, then its rows."""

    def validate_number(self, number: Any) -> int:
        """A whole number from 1; whether the page exists is known once its ids are read."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def get_page(self, number: Any) -> Page:
        """As Django's: the first page for a number that is not one, the last for one past the end."""
        try:
            return super().get_page(number)
        except EmptyPage:  # past the end: known only once the page's ids were read
            return self.page(self.num_pages)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if not isinstance(self.object_list, QuerySet) or self.object_list.query.distinct:
            # A list, or a DISTINCT query (the window would count before DISTINCT): Django's two reads.
            return super().page(number)
        bottom = (number - 1) * self.per_page
        if bottom > MAX_OFFSET:  # no list is this long, and the database refuses an OFFSET past 64 bits
            self.validate_page_past_end(number)
        rows = list(
            self.object_list.annotate(_ids_first_total=Window(Count("pk")))
            .values_list("pk", "_ids_first_total")[bottom:bottom + self.per_page]
        )
        if not rows:
            # Nothing on this page: an empty list's first page, or a page past the end.
            if number == 1 and self.allow_empty_first_page:
                self.__dict__["count"] = 0
                return self._get_page([], number, self)
            self.validate_page_past_end(number)
        self.__dict__["count"] = rows[0][1]  # Paginator.count is a cached_property: this is its value
        ids = [pk for pk, _total in rows]
        by_id = {obj.pk: obj for obj in self._rows(ids)}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)

    def validate_page_past_end(self, number: int) -> None:
        """Raise ``EmptyPage`` for a page past the end (counting the list to say so)."""
        if number > self.num_pages:
            raise EmptyPage(self.error_messages["no_results"])
        raise InvalidPage(self.error_messages["no_results"])  # the list shrank between the two reads

    def _rows(self, ids: list[int]) -> QuerySet:
        """The page's rows by id, with the list's joins and prefetches, in no order. The ids were chosen by
        the list's filter, so the rows need no filter but the ids; the list's annotations order it and no
        page shows them, so they are not read again."""
        queryset = self.object_list
        rows = queryset.model._default_manager.filter(pk__in=ids)
        rows.query.select_related = queryset.query.select_related
        rows._prefetch_related_lookups = queryset._prefetch_related_lookups
        return rows
