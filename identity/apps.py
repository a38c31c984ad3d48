from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Signing in: each organisation's single sign-on (OpenID Connect), and organisations without passwords."""

    name = "identity"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"
