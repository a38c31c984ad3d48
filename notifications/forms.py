"""The e-mail preference form: how often a person wants e-mail about their notifications."""
from django import forms

from core.forms import ServiceErrorsMixin

from .models import EmailFrequency


class PreferenceForm(ServiceErrorsMixin, forms.Form):
    email_frequency = forms.ChoiceField(
        label="How often do you want e-mail about your notifications?",
        choices=EmailFrequency.choices, widget=forms.RadioSelect,
        help_text=(
            "Urgent messages always come straight away: an alert for the principal social worker, and a missed "
            "deadline on an escalation at significant or imminent risk of harm. Every notification also appears "
            "in the notification centre. E-mails never give a child's name."
        ),
        error_messages={
            "required": "Choose how often you want e-mail about your notifications.",
            "invalid_choice": "Choose straight away, a daily digest or no e-mail.",
        },
    )
