from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks to case-management systems"

    def ready(self) -> None:
        # The signals that tell the outbox's cache an endpoint was saved or deleted.
        from . import outbox  # noqa: F401
