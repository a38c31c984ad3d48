"""Charts for the report, drawn on the server as inline SVG: no script, no CDN, readable when printed.

A chart is drawn from a report ``Table`` (the same figures the data table beside it shows), as a
list of shapes the template ``reports/includes/chart.html`` writes out. A suppressed figure draws
no bar or point, only its words ("fewer than 5"): a chart cannot show more than the table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe

from . import markup
from .figures import Cell, Table

ROW_HEIGHT = 30  # pixels a bar's band takes: room for 14px text and a gap
LABEL_WIDTH = 260
PLOT_WIDTH = 300
VALUE_WIDTH = 130
LABEL_CHARACTERS = 36  # what fits in LABEL_WIDTH at 14px; the full label is in the bar's tooltip and the table


@dataclass(frozen=True)
class Shape:
    kind: str  # rect, text, path, line, circle
    attrs: dict[str, str | float]
    text: str = ""
    tip: str = ""

    def element(self) -> str:
        """The SVG element, every attribute and text escaped (``reports.markup``)."""
        attrs = markup.attributes(self.attrs)
        if self.kind in ("path", "line"):
            return f"<{self.kind}{attrs}/>"
        title = f"<title>{markup.text(self.tip)}</title>" if self.tip else ""
        content = markup.text(self.text) if self.kind == "text" else ""
        return f"<{self.kind}{attrs}>{content}{title}</{self.kind}>"


@dataclass
class Chart:
    chart_id: str
    title: str
    description: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)

    def shapes_markup(self) -> SafeString:
        """Every shape's element, a line each, written here rather than by the template (``reports.markup``)."""
        return mark_safe("\n".join(shape.element() for shape in self.shapes))  # each part is escaped by element()

    @property
    def empty(self) -> bool:
        return not any(s.kind in ("rect", "path", "circle") for s in self.shapes)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def _nice_max(value: float) -> float:
    """Round an axis maximum up to 1, 2 or 5 times a power of ten, so the scale reads easily."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "") -> Shape:
    attrs: dict[str, str | float] = {"x": round(x, 1), "y": round(y, 1), "text-anchor": anchor}
    if css:
        attrs["class"] = css
    return Shape(kind="text", attrs=attrs, text=text)


def bar_chart(*, chart_id: str, table: Table, series: list[tuple[int, str, str]], description: str) -> Chart:
    """Horizontal bars, one band per row; ``series`` is (column index, css class, legend label) per bar."""
    per_row = len(series)
    band = ROW_HEIGHT * per_row + 10
    height = max(len(table.rows), 1) * band + 10
    chart = Chart(chart_id=chart_id, title=table.title, description=description,
                  width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, height=height)
    if per_row > 1:
        chart.legend = [(css, label) for _, css, label in series]
    values = [row.cells[i].value for row in table.rows for i, _, _ in series]
    top = _nice_max(max([v for v in values if isinstance(v, (int, float))] or [0]))
    for r, row in enumerate(table.rows):
        y0 = 5 + r * band
        chart.shapes.append(_text(LABEL_WIDTH - 10, y0 + band / 2, _short(row.label), anchor="end"))
        for s, (index, css, legend) in enumerate(series):
            cell: Cell = row.cells[index]
            y = y0 + s * ROW_HEIGHT + 3
            tip = f"{row.label}{f' ({legend})' if per_row > 1 else ''}: {cell.text}"
            if isinstance(cell.value, (int, float)) and not cell.suppressed:
                width = PLOT_WIDTH * cell.value / top
                chart.shapes.append(Shape(kind="rect", tip=tip, attrs={
                    "x": LABEL_WIDTH, "y": round(y, 1), "width": round(max(width, 1 if cell.value else 0), 1),
                    "height": ROW_HEIGHT - 6, "class": f"app-chart__bar {css}".strip(),
                }))
                chart.shapes.append(_text(LABEL_WIDTH + width + 6, y + ROW_HEIGHT / 2 + 2, cell.text))
            else:
                chart.shapes.append(_text(LABEL_WIDTH + 6, y + ROW_HEIGHT / 2 + 2, cell.text, css="app-chart__muted"))
    chart.shapes.append(Shape(kind="line", attrs={"x1": LABEL_WIDTH, "y1": 0, "x2": LABEL_WIDTH, "y2": height,
                                                  "class": "app-chart__axis"}))
    return chart


def line_chart(*, chart_id: str, table: Table, series: list[tuple[int, str, str]], description: str) -> Chart:
    """A line per column over the table's rows (months); a suppressed point breaks the line."""
    left, right, top_pad, bottom = 50, 45, 15, 45
    width, plot_height = 860, 220
    height = top_pad + plot_height + bottom
    chart = Chart(chart_id=chart_id, title=table.title, description=description, width=width, height=height,
                  legend=[(css, label) for _, css, label in series])
    rows = table.rows
    values = [row.cells[i].value for row in rows for i, _, _ in series]
    # Four gridlines at a round step (0, 2, 4, 6, 8), so that counts never read 2.5.
    tick = max(1, _nice_max(max([v for v in values if isinstance(v, (int, float))] or [0]) / 4))
    top = 4 * tick
    step = (width - left - right) / max(len(rows) - 1, 1)

    def x_at(i: int) -> float:
        return left + i * step if len(rows) > 1 else left + (width - left - right) / 2

    def y_at(v: float) -> float:
        return top_pad + plot_height * (1 - v / top)

    for n in range(5):
        v = tick * n
        y = y_at(v)
        chart.shapes.append(Shape(kind="line", attrs={"x1": left, "y1": round(y, 1), "x2": width - right,
                                                      "y2": round(y, 1), "class": "app-chart__grid"}))
        chart.shapes.append(_text(left - 8, y + 5, f"{v:g}", anchor="end"))
    label_every = max(1, math.ceil(len(rows) / 12))
    for i, row in enumerate(rows):
        if i % label_every == 0:
            chart.shapes.append(_text(x_at(i), top_pad + plot_height + 22, row.label, anchor="middle"))
    for index, css, legend in series:
        segments: list[list[tuple[float, float]]] = [[]]
        for i, row in enumerate(rows):
            cell = row.cells[index]
            if isinstance(cell.value, (int, float)) and not cell.suppressed:
                point = (x_at(i), y_at(cell.value))
                segments[-1].append(point)
                chart.shapes.append(Shape(kind="circle", tip=f"{row.label}, {legend.lower()}: {cell.text}", attrs={
                    "cx": round(point[0], 1), "cy": round(point[1], 1), "r": 4, "class": f"app-chart__point {css}",
                }))
            else:
                segments.append([])
                chart.shapes.append(Shape(kind="text", tip=f"{row.label}, {legend.lower()}: {cell.text}", attrs={
                    "x": round(x_at(i), 1), "y": top_pad + plot_height - 4, "text-anchor": "middle",
                    "class": "app-chart__muted",
                }, text=cell.text.replace("fewer than ", "<") if cell.suppressed else ""))
        for segment in segments:
            if len(segment) > 1:
                d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                chart.shapes.append(Shape(kind="path", attrs={"d": d, "class": f"app-chart__line {css}"}))
    chart.shapes.append(Shape(kind="line", attrs={"x1": left, "y1": top_pad + plot_height, "x2": width - right,
                                                  "y2": top_pad + plot_height, "class": "app-chart__axis"}))
    return chart


def report_charts(report) -> dict[str, Chart]:
    """The charts of the themes report, by the name of the table each one draws."""
    charts = {
        "categories": bar_chart(
            chart_id="chart-categories", table=report.table("categories"), series=[(0, "", "Escalations")],
            description="Bar chart of the number of escalations in each category of disagreement.",
        ),
        "raising-organisations": bar_chart(
            chart_id="chart-raising", table=report.table("raising-organisations"), series=[(0, "", "Escalations")],
            description="Bar chart of the number of escalations each organisation raised.",
        ),
        "receiving-organisations": bar_chart(
            chart_id="chart-receiving", table=report.table("receiving-organisations"),
            series=[(0, "", "Escalations")],
            description="Bar chart of the number of escalations each organisation received.",
        ),
        "risk-levels": bar_chart(
            chart_id="chart-risk", table=report.table("risk-levels"), series=[(0, "", "Escalations")],
            description="Bar chart of the number of escalations at each risk level.",
        ),
        "timescales": bar_chart(
            chart_id="chart-timescales", table=report.table("timescales"),
            series=[(1, "", "Median"), (2, "app-chart__bar--p90", "90th percentile"),
                    (3, "app-chart__bar--target", "Timescale")],
            description="Grouped bar chart: for each procedure, the median and 90th percentile working days to "
                        "resolution beside the procedure's timescale.",
        ),
        "trend": line_chart(
            chart_id="chart-trend", table=report.table("trend"),
            series=[(0, "", "Raised"), (1, "app-chart__line--resolved", "Resolved")],
            description="Line chart of the number of escalations raised and resolved each month.",
        ),
    }
    return charts
