from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and nothing else: API pieces, service errors, text limits."""

    name = "core"
    verbose_name = "Shared pieces"
