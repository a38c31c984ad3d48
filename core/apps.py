from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and nothing else: API pieces, service errors, text limits."""

    name = "core"
    verbose_name = "Shared pieces"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_timeouts_start

        user_logged_in.connect(session_timeouts_start, dispatch_uid="core.session_timeouts_start")
