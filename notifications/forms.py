from django import forms

from .models import EmailFrequency


class PreferenceForm(forms.Form):
    email_frequency = forms.ChoiceField(
        choices=EmailFrequency.choices,
        error_messages={
            "required": "Choose how often you want e-mail about your notifications.",
            "invalid_choice": "Choose straight away, a daily digest or no e-mail.",
        },
    )
