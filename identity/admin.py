"""Each organisation's single sign-on, set up by platform staff (the client secret is never shown back)."""
from django import forms
from django.contrib import admin

from .models import ServiceToken, SignOn
from .provider import redirect_uri


class SignOnForm(forms.ModelForm):
    issuer = forms.URLField(max_length=300, assume_scheme="https",
                            help_text=SignOn._meta.get_field("issuer").help_text)
    client_secret = forms.CharField(
        widget=forms.PasswordInput, max_length=500, required=False,
        help_text="The client secret registered with the provider. Leave it blank to keep the one saved.",
    )

    class Meta:
        model = SignOn
        fields = ["organisation", "enabled", "issuer", "client_id", "client_secret", "claim", "matches",
                  "passwords_off", "provisioning", "default_role"]

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data["client_secret"] or (self.instance.client_secret if self.instance.pk else "")
        if not secret:
            raise forms.ValidationError("Enter the client secret registered with the provider.")
        return secret


@admin.register(SignOn)
class SignOnAdmin(admin.ModelAdmin):
    form = SignOnForm
    list_display = ["organisation", "enabled", "issuer", "client_id", "claim", "passwords_off", "provisioning"]
    list_filter = ["enabled", "passwords_off", "provisioning"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name", "issuer", "client_id"]
    readonly_fields = ["redirect_uri"]

    @admin.display(description="Redirect URI to register with the provider")
    def redirect_uri(self, obj: SignOn | None = None) -> str:
        return redirect_uri()


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    """Which organisations' systems have API tokens, and when each was last used. Made and revoked by the
    organisation's administrator (or the ``service_token`` command), with its audit log entry: read-only here."""

    list_display = ["organisation", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    fields = readonly_fields = ["organisation", "name", "scopes", "prefix", "created_by", "created_at", "expires_at",
                                "last_used_at", "revoked_at", "revoked_by"]

    def has_add_permission(self, request) -> bool:
        return False  # a key is shown once, to whoever makes it

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the audit log and the access log name it
