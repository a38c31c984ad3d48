"""The report's chart shapes and table cells are written in Python: every value escaped, as the template would."""
from django.template import Context, Template
from django.utils.safestring import mark_safe

from reports import markup
from reports.charts import Shape
from reports.figures import Cell
from reports.templatetags.report_tables import report_cells

HOSTILE = """<script>alert("x")</script> & 'quoted'"""


def test_text_escapes_as_the_template_does():
    rendered = Template("{{ value }}").render(Context({"value": HOSTILE}))
    assert markup.text(HOSTILE) == rendered
    assert "<script>" not in markup.text(HOSTILE)


def test_text_keeps_what_is_marked_safe_as_it_is():
    assert markup.text(mark_safe("<b>kept</b>")) == "<b>kept</b>"


def test_numbers_read_as_the_template_writes_them():
    for value in (260, 12.5, 0.0, 1234.0):
        assert markup.text(value) == Template("{{ value }}").render(Context({"value": value}))


def test_a_shape_escapes_its_attributes_its_text_and_its_tip():
    shape = Shape(kind="text", attrs={"x": 1.5, "class": 'a" onload="x'}, text=HOSTILE, tip=HOSTILE)
    element = shape.element()
    assert element.startswith('<text x="1.5" class="a&quot; onload=&quot;x">')
    assert "<script>" not in element
    assert element.endswith("</title></text>")


def test_lines_and_paths_close_themselves_and_carry_no_tip():
    assert Shape(kind="line", attrs={"x1": 0, "y1": 1}).element() == '<line x1="0" y1="1"/>'
    assert Shape(kind="path", attrs={"d": "M0,0 L1,1"}, tip="ignored").element() == '<path d="M0,0 L1,1"/>'


def test_a_rect_carries_its_tip_as_a_title():
    element = Shape(kind="rect", attrs={"width": 3}, tip="Bexley: 12").element()
    assert element == '<rect width="3"><title>Bexley: 12</title></rect>'


def test_each_cell_is_labelled_by_its_column_and_escaped():
    cells = (Cell(value=12, text="12"), Cell(value=None, text="fewer than 5", suppressed=True),
             Cell(value=None, text=HOSTILE, numeric=False))
    html = report_cells(cells, ("Raised", "Resolved <b>", "Note"))
    assert html == (
        '<td data-label="Raised" class="govuk-table__cell govuk-table__cell--numeric">12</td>'
        '<td data-label="Resolved &lt;b&gt;" class="govuk-table__cell govuk-table__cell--numeric app-suppressed">'
        'fewer than 5</td>'
        f'<td data-label="Note" class="govuk-table__cell">{markup.text(HOSTILE)}</td>'
    )
