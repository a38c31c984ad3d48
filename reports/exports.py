"""The report as CSV: one table a file, exactly the text the page shows (suppression included)."""
from __future__ import annotations

import csv
import io

from .figures import Table

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def table_csv(*, table: Table) -> str:
    """Return the table as CSV text: a header line, then one line a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table.as_lines():
        writer.writerow([_safe(value) for value in line])
    return buffer.getvalue()
