"""Tables that reflow: at narrow widths each row becomes a card, each cell labelled by its column.

A cell's label is its ``data-label`` attribute (``static/css/app.css`` shows it above the value); a
table whose columns are data pairs each cell with its column here.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import template

register = template.Library()


@register.filter
def labelled(cells: Iterable[Any], columns: Sequence[str]) -> list[tuple[Any, str]]:
    """Pair each cell of a row with its column's heading.

    ``{% for cell, column in row.cells|labelled:table.columns %}``
    """
    return list(zip(cells, columns, strict=False))
