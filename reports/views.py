"""The themes report pages: the report, its printable version and a CSV file of each table."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from organisations.models import Organisation, Partnership

from .charts import report_charts
from .exports import report_export_record, table_csv
from .forms import ReportPeriodForm
from .selectors import (
    ReportPeriod,
    ReportScope,
    ThemesReport,
    report_period_parse,
    report_scope_for,
    themes_report,
)


def _scope(request: HttpRequest) -> ReportScope:
    return report_scope_for(
        user=request.user,
        partnership=request.GET.get("partnership") or None,
        organisation=request.GET.get("organisation") or None,
    )


def _links(scope: ReportScope, period: ReportPeriod, names: list[str]) -> dict:
    query = {**scope.as_query(), **period.as_query()}
    csv_base = reverse("reports:themes_csv")
    return {
        "print": f"{reverse('reports:themes_print')}?{urlencode(query)}",
        "csv": {name: f"{csv_base}?{urlencode({**query, 'table': name})}" for name in names},
    }


# Tables whose chart needs the page's full width (many columns, or a long time axis).
WIDE = {"timescales", "trend"}


def _sections(report: ThemesReport, links: dict) -> list[dict]:
    charts = report_charts(report)
    return [
        {"table": table, "chart": charts.get(table.name), "wide": table.name in WIDE,
         "csv_url": links["csv"][table.name]}
        for table in report.tables
    ]


def _choices(request: HttpRequest) -> dict:
    """An administrator may read any partnership's or organisation's report."""
    if not request.user.is_superuser:
        return {}
    return {
        "partnerships": list(Partnership.objects.values_list("slug", "name")),
        "organisations": list(Organisation.objects.values_list("slug", "name")),
    }


@login_required
def themes(request: HttpRequest) -> HttpResponse:
    """Show the themes report for the chosen period (the last twelve months unless chosen)."""
    scope = _scope(request)
    choices = _choices(request)
    form = ReportPeriodForm(request.GET, **choices)
    if not form.is_valid():
        return render(request, "reports/themes.html", {"scope": scope, "form": form}, status=400)
    period = form.cleaned_data["period"]
    report = themes_report(scope=scope, period=period)
    links = _links(scope, period, report.table_names)
    return render(request, "reports/themes.html", {
        "scope": scope, "form": ReportPeriodForm.showing(period=period, scope=scope, **choices),
        "report": report, "period": period, "links": links, "sections": _sections(report, links),
    })


def _report_from_query(request: HttpRequest) -> tuple[ReportScope, ReportPeriod, ThemesReport] | HttpResponse:
    """The scope, period and report the query string asks for, or a plain-text 400 naming what is wrong."""
    scope = _scope(request)
    try:
        period = report_period_parse(query=request.GET)
    except ValidationError as exc:
        return HttpResponse(_error_text(exc), status=400, content_type="text/plain; charset=utf-8")
    return scope, period, themes_report(scope=scope, period=period)


@login_required
def themes_print(request: HttpRequest) -> HttpResponse:
    """The whole report on one page laid out for printing or saving as PDF."""
    answer = _report_from_query(request)
    if isinstance(answer, HttpResponse):
        return answer
    scope, period, report = answer
    report_export_record(request=request, scope=scope, period=period, via="print")
    links = _links(scope, period, report.table_names)
    return render(request, "reports/themes_print.html", {
        "scope": scope, "report": report, "period": period, "printable": True,
        "sections": _sections(report, links),
    })


@login_required
def themes_csv(request: HttpRequest) -> HttpResponse:
    """One table of the report as a CSV file: ``?table=<name>&from=&to=``."""
    answer = _report_from_query(request)
    if isinstance(answer, HttpResponse):
        return answer
    scope, period, report = answer
    name = request.GET.get("table", "")
    if name not in report.table_names:
        return HttpResponse(
            f"table: choose one of {', '.join(report.table_names)} (got '{name}').",
            status=400, content_type="text/plain; charset=utf-8",
        )
    report_export_record(request=request, scope=scope, period=period, via="csv", table=name)
    response = HttpResponse(table_csv(table=report.table(name)), content_type="text/csv; charset=utf-8")
    filename = f"themes-{scope.slug}-{name}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _error_text(exc: ValidationError) -> str:
    return "\n".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
