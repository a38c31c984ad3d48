"""Times and dates in words on every page and e-mail, through ``core.text`` (``{% load words %}``).

``{{ moment|when }}`` "5pm on Monday 4 January 2027", ``{{ moment|when_dated }}`` "Monday 4 January 2027 at
5pm", ``{{ day|day_words }}`` "Monday 4 January 2027", ``{{ day|day_words:"short" }}`` "4 January 2027",
``{{ moment|time_words }}`` "5pm". Machine-read dates (``|date:"c"``, ``|date:"Y-m-d"``) are the only other
formats a template uses.
"""
from __future__ import annotations

import datetime as dt

from django import template

from core import text

register = template.Library()


@register.filter
def when(moment: dt.datetime | None) -> str:
    return text.when(moment)


@register.filter
def when_dated(moment: dt.datetime | None) -> str:
    return text.when_dated(moment)


@register.filter
def day_words(day: dt.date | None, form: str = "") -> str:
    """The day in words; ``"short"`` leaves the weekday out."""
    if day is None:
        return ""
    return text.day_words(day, weekday=form != "short")


@register.filter
def time_words(moment: dt.datetime | dt.time | None) -> str:
    return "" if moment is None else text.time_words(moment)
