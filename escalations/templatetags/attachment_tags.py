"""Template words for the escalation page's attachments: the rules a file must meet."""
from __future__ import annotations

from django import template

from escalations.attachments import ACCEPT_ATTRIBUTE, ALLOWED_LIST, max_size_words

register = template.Library()


@register.simple_tag
def attachment_rules() -> str:
    """Say which files may be attached: "a PDF, ... or JPG file, smaller than 10 MB"."""
    return f"a {ALLOWED_LIST} file, smaller than {max_size_words()}"


@register.simple_tag
def attachment_accept() -> str:
    """The file input's accept attribute, from the same allow-list the server checks."""
    return ACCEPT_ATTRIBUTE
