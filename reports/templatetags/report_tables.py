"""The report table's cells, written in Python (``reports.markup``): a partnership's agency-pairs table
alone has hundreds.

Each cell is labelled by its column (``data-label``: at narrow widths ``static/css/app.css`` shows
it above the value, and the row becomes a card).
"""
from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.safestring import SafeString, mark_safe

from reports import markup
from reports.figures import Cell

register = template.Library()


def _classes(cell: Cell) -> str:
    classes = "govuk-table__cell"
    if cell.numeric:
        classes += " govuk-table__cell--numeric"
    if cell.suppressed:
        classes += " app-suppressed"
    return classes


@register.simple_tag
def report_cells(cells: Sequence[Cell], columns: Sequence[str]) -> SafeString:
    """``<td>`` for each cell of a row, labelled by its column: ``{% report_cells row.cells table.columns %}``."""
    return mark_safe("".join(  # every value escaped by markup.text
        f'<td data-label="{markup.text(column)}" class="{_classes(cell)}">{markup.text(cell.text)}</td>'
        for cell, column in zip(cells, columns, strict=False)
    ))
