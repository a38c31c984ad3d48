"""The form of a file attached to an escalation: it parses the upload; ``attachments`` decides whether it stands."""
from __future__ import annotations

from django import forms

from core.forms import ServiceErrorsMixin

from .attachments import ACCEPT_ATTRIBUTE, ALLOWED_LIST, DESCRIPTION_LIMIT, max_size_words


class AttachmentForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(
        label="Upload a file", required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        error_messages={"empty": "The selected file is empty.", "invalid": "Select a file."},
    )
    description = forms.CharField(
        label="Description (optional)", required=False, max_length=DESCRIPTION_LIMIT,
        widget=forms.TextInput(attrs={"class": "govuk-!-width-two-thirds"}),
        help_text="For example, minutes of the meeting on 4 November.",
        error_messages={"max_length": f"The description must be {DESCRIPTION_LIMIT} characters or fewer."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"A {ALLOWED_LIST}, smaller than {max_size_words()}."

    @classmethod
    def for_escalation_page(cls) -> AttachmentForm:
        """The short form under the escalation's attachments, with ids of its own on that busy page."""
        form = cls(auto_id="id_attachment_%s")
        form.fields["file"].label = "Attach a file"
        form.fields["file"].help_text = (
            f"Meeting minutes, e-mails or reports: a {ALLOWED_LIST} file, smaller than {max_size_words()}."
        )
        form.fields["description"].help_text = ""
        return form
