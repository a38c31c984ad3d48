"""The report as CSV: one table a file, exactly the text the page shows (suppression included)."""
from __future__ import annotations

import csv
import io
from typing import Any

from audit.services import Action, Subject, access_record

from .figures import Table
from .selectors import ReportPeriod, ReportScope

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def report_export_record(*, request: Any, scope: ReportScope, period: ReportPeriod, **detail: str) -> None:
    """Every export of the report (CSV, print, API) goes to the access log: aggregates only, an export all the same."""
    access_record(
        action=Action.EXPORTED, request=request, detail={**detail, "period": f"{period.start}/{period.end}"},
        obj=Subject(kind="themes_report", id=f"{scope.kind}:{scope.slug}"[:64],
                    organisation_id=scope.organisation_ids[0] if scope.kind == "organisation" else None),
    )


def table_csv(*, table: Table) -> str:
    """Return the table as CSV text: a header line, then one line a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table.as_lines():
        writer.writerow([_safe(value) for value in line])
    return buffer.getvalue()
