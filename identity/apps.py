from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Signing in: each organisation's single sign-on (OpenID Connect), organisations without passwords,
    and the second factor."""

    name = "identity"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .two_factor import two_factor_mark_due

        user_logged_in.connect(two_factor_mark_due, dispatch_uid="identity.two_factor_mark_due")
