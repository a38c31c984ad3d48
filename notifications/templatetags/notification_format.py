"""Template filters for notifications: a moment in words, as in the e-mails."""
from django import template

from notifications.texts import when as when_words

register = template.Library()


@register.filter
def when(instant) -> str:
    """Render a moment as "5pm on Tuesday 3 November 2026" (London time)."""
    return when_words(instant)
