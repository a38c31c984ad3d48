"""The only shapes a report is made of: labelled rows of figures, never an escalation or a person.

A report is a tuple of ``Table``s. A table's row has a text label (a category, an organisation,
a ladder stage, a month) and cells; a cell holds a number and the text a reader sees. There is no
field that could carry a case reference, a child's name or a practitioner's name, so a page, a
CSV file or a JSON answer built from a report cannot contain one.

Small counts (CONTRACT: "fewer than 5" for board users) are suppressed when a cell is made, not
when it is shown: a suppressed cell keeps no number at all, so no template or export can leak it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Suppression:
    """Whether, and below what, small counts are hidden from the reader of a report.

    Zero is never hidden: "none raised" identifies nobody, and Wiltshire 2.6 asks precisely to see
    where no challenge is made. Counts from 1 to ``threshold - 1`` read "fewer than <threshold>".
    Statistics (medians, percentiles, shares) rest on a group of escalations: they are shown only
    when that group has at least ``threshold`` members, else they read "fewer than <threshold>
    resolved" and carry no number.
    """

    active: bool
    threshold: int

    def hides(self, count: int) -> bool:
        return self.active and 0 < count < self.threshold

    def too_few(self, group_size: int) -> bool:
        return self.active and group_size < self.threshold

    @property
    def phrase(self) -> str:
        return f"fewer than {self.threshold}"


NONE = Suppression(active=False, threshold=0)


@dataclass(frozen=True)
class Cell:
    """One figure: ``value`` is None when it is suppressed or does not apply; ``text`` is what is shown."""

    value: float | int | None
    text: str
    suppressed: bool = False
    numeric: bool = True  # aligned right, as figures are; words (a note, a source) align left

    def __str__(self) -> str:
        return self.text


def count_cell(count: int, suppression: Suppression) -> Cell:
    if suppression.hides(count):
        return Cell(value=None, text=suppression.phrase, suppressed=True)
    return Cell(value=count, text=f"{count:,}")


def text_cell(text: str, *, numeric: bool = False) -> Cell:
    return Cell(value=None, text=text, numeric=numeric)


def days_cell(days: float | None, *, group_size: int, suppression: Suppression) -> Cell:
    """A number of working days computed over ``group_size`` escalations."""
    if group_size and suppression.too_few(group_size):
        return Cell(value=None, text=f"{suppression.phrase} resolved", suppressed=True)
    if days is None:
        return Cell(value=None, text="–")
    shown = f"{days:g}"
    return Cell(value=days, text=f"{shown} working day{'' if days == 1 else 's'}")


def share_cell(part: int, whole: int, suppression: Suppression) -> Cell:
    """A percentage, rounded to a whole number, of a group of ``whole`` escalations."""
    if whole and suppression.too_few(whole):
        return Cell(value=None, text=f"{suppression.phrase} resolved", suppressed=True)
    if not whole:
        return Cell(value=None, text="–")
    percent = round(100 * part / whole)
    return Cell(value=percent, text=f"{percent}%")


def rate_cell(count: int, staff: int, suppression: Suppression) -> Cell:
    """Escalations per 100 staff, to one decimal place.

    Where the count is suppressed the exact rate would give it away (rate x staff / 100), so the
    cell shows the upper bound instead: "under 2.5" for fewer than 5 among 200 staff.
    """
    if not staff:
        return Cell(value=None, text="no staff recorded")
    if suppression.hides(count):
        bound = suppression.threshold * 100 / staff
        return Cell(value=None, text=f"under {bound:.1f}", suppressed=True)
    rate = round(count * 100 / staff, 1)
    return Cell(value=rate, text=f"{rate:.1f}")


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    note: str = ""


@dataclass(frozen=True)
class Table:
    """A table of a report; ``name`` is its handle in the CSV export (``?table=<name>``)."""

    name: str
    title: str
    label_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    description: str = ""

    def as_lines(self) -> list[list[str]]:
        """Return the header and the rows as text, as the page and the CSV export show them."""
        lines = [[self.label_heading, *self.columns]]
        lines += [[row.label, *(cell.text for cell in row.cells)] for row in self.rows]
        return lines

    def column(self, index: int) -> list[Cell]:
        return [row.cells[index] for row in self.rows]

    def cell(self, label: str, column: str) -> Cell:
        """Return the cell in the row labelled ``label`` under ``column`` (KeyError if there is none)."""
        position = self.columns.index(column)
        for row in self.rows:
            if row.label == label:
                return row.cells[position]
        raise KeyError(label)


def median(values: list[int]) -> float | None:
    """The middle value; with an even number of values, the mean of the two middle ones."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: list[int], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the values at or below it.

    Nearest rank always returns an observed number of working days (never an interpolated 4.6),
    which is what a board reads as "nine in ten were resolved within N working days".
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])
