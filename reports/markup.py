"""HTML written in Python for the report page's many small elements (chart shapes, table cells).

A partnership's report has a few hundred shapes and cells. Written by the template language, or by
``format_html`` (whose ``conditional_escape`` goes through Django's lazy-string wrapper on every
value), they took a third of the page's time. ``text`` escapes as ``conditional_escape`` does:
``html.escape`` with quotes, and a string already marked safe is kept as it is.
"""
from __future__ import annotations

import html

from django.utils.safestring import SafeData


def text(value: object) -> str:
    """``value`` as HTML text or attribute value."""
    if isinstance(value, SafeData):
        return str(value)
    return html.escape(str(value), quote=True)


def attributes(attrs: dict[str, str | float]) -> str:
    """`` name="value"`` for each attribute, escaped."""
    return "".join(f' {text(name)}="{text(value)}"' for name, value in attrs.items())
