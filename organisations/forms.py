"""The sign-in form, rendered as GOV.UK components like every other form."""
from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm

SIGN_IN_ERROR = "Enter a correct username and password. Both are case-sensitive."


class SignInForm(AuthenticationForm):
    """Sign in with a username and password; any failure gets one message, on the username.

    One message for a blank field, a wrong password or an unknown name, so the page never says
    which of the two was wrong; another for the people of an organisation that turned passwords off.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"class": "govuk-!-width-two-thirds", "spellcheck": "false"})
        self.fields["password"].widget.attrs["class"] = "govuk-!-width-two-thirds"

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors:
            self.errors.clear()
            # An organisation that turned passwords off is named, with the way in it uses instead: the
            # password backend (identity.backends) leaves those words on the request, from the username alone.
            self.add_error("username", getattr(self.request, "sign_in_refusal", None) or SIGN_IN_ERROR)
