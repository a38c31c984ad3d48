"""The escalation page's attachments: the upload form under the list."""
from __future__ import annotations

from django import template

from escalations.attachment_forms import AttachmentForm

register = template.Library()


@register.simple_tag
def attachment_form() -> AttachmentForm:
    """The unbound upload form shown under the list: ``{% attachment_form as upload_form %}``."""
    return AttachmentForm.for_escalation_page()
