"""The administration pages' forms. They parse; the services decide (and their refusals land on the fields)."""
from __future__ import annotations

from typing import Any

from django import forms

from core.forms import ServiceErrorsMixin
from organisations.models import ADMIN_ROLES, Role, Team, Tier, User
from policies.models import Ladder

from .services import PARTNERSHIP_ROLES, STAFF_ROLES, TIER_ROLES
from .staff_import import COLUMNS, MAX_BYTES


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


def _role_choices(roles: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("", "Choose a role"), *[(role, Role(role).label) for role in roles]]


class PersonForm(ServiceErrorsMixin, forms.Form):
    """Invite a person, or change one: name, role, team and line manager (the last two for staff only)."""

    name = forms.CharField(label="Full name", required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    email = forms.CharField(label="E-mail address", required=False,
                            help_text="They sign in with it, and the set-password e-mail goes to it.",
                            widget=forms.EmailInput(attrs={"spellcheck": "false", "autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", required=False)
    team = forms.ModelChoiceField(label="Team (optional)", queryset=Team.objects.none(), required=False,
                                  empty_label="No team")
    line_manager = PersonChoiceField(label="Line manager (optional)", queryset=User.objects.none(), required=False,
                                     empty_label="No line manager")

    def __init__(self, *args: Any, actor: User, person: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actor.organisation_id:
            self.fields["role"].choices = _role_choices(STAFF_ROLES)
            self.fields["team"].queryset = Team.objects.filter(organisation_id=actor.organisation_id)
            managers = (User.objects.filter(organisation_id=actor.organisation_id, is_active=True)
                        .exclude(role__in=ADMIN_ROLES).order_by("first_name", "last_name"))
            if person is not None:
                managers = managers.exclude(pk=person.pk)
            self.fields["line_manager"].queryset = managers
        else:
            self.fields["role"].choices = _role_choices(PARTNERSHIP_ROLES)
            del self.fields["team"], self.fields["line_manager"]
        if person is not None:
            del self.fields["email"]  # the e-mail is who the person is: HR (or SCIM) changes it

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data.get(key) for key in ("name", "email", "role", "team", "line_manager") if key in self.fields}


class TeamForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label="Team name", required=False)


class ClosureDayForm(ServiceErrorsMixin, forms.Form):
    date = forms.DateField(label="Date", required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                           help_text="For example, 24/12/2026.",
                           error_messages={"invalid": "Enter the date like 24/12/2026."},
                           widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}))
    reason = forms.CharField(label="Reason (optional)", required=False,
                             help_text="For example, the Christmas closure.")


class SettingsForm(ServiceErrorsMixin, forms.Form):
    close_of_business = forms.TimeField(
        label="Close of business", required=False, input_formats=["%H:%M", "%H.%M"],
        help_text="Deadlines fall at this time, London time. For example, 17:00.",
        error_messages={"invalid": "Enter the time like 17:00."},
        widget=forms.TimeInput(format="%H:%M", attrs={"class": "govuk-input--width-5"}),
    )
    emergency_contacts = forms.CharField(
        label="Emergency contacts", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown before anything else when someone raises an imminent-risk escalation.",
    )
    out_of_hours_contacts = forms.CharField(
        label="Out-of-hours contacts (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who to call outside working hours, such as the emergency duty team.",
    )
    require_two_factor = forms.BooleanField(
        label="Require a code from an authenticator app at every sign-in with a password", required=False,
        help_text="Each person sets up an app (such as Microsoft or Google Authenticator) the next time they "
                  "sign in. Single sign-on is left to your organisation's own account provider.",
    )


class RetentionForm(ServiceErrorsMixin, forms.Form):
    retention_days = forms.CharField(
        label="Days a closed escalation is kept in full", required=False,
        help_text="After this many days from its resolution or withdrawal, an escalation's free text, notes and "
                  "attachments are erased; its timeline (who did what, when) is kept. For example, 365.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
    )


class TierMappingForm(ServiceErrorsMixin, forms.Form):
    """One select a role: which tier the role holds on multi-agency ladders."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role in TIER_ROLES:
            self.fields[role] = forms.ChoiceField(label=Role(role).label, required=False,
                                                  choices=[("", "No tier"), *Tier.choices])


class TimescalesForm(ServiceErrorsMixin, forms.Form):
    """A number of working days for each stage whose response time the procedure leaves open."""

    def __init__(self, *args: Any, ladder: Ladder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for stage in ladder.stage_list():
            if stage.timescale_editable:
                self.fields[f"stage_{stage.index}"] = forms.CharField(
                    label=f"{stage.index}: {stage.name}", required=False, initial=stage.working_days,
                    help_text="Working days to respond; 0 means the same day.",
                    widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
                )

    def working_days(self) -> dict[int, str]:
        return {int(name.removeprefix("stage_")): value for name, value in self.cleaned_data.items()}


class CategoryForm(ServiceErrorsMixin, forms.Form):
    label = forms.CharField(label="New category of disagreement", required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file from your HR system", required=False,
        help_text=f"The first row names the columns: {', '.join(COLUMNS)}. Smaller than {MAX_BYTES // 1024} KB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise forms.ValidationError("Choose the CSV file to import.")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file must be smaller than {MAX_BYTES // 1024} KB.")
        return upload
