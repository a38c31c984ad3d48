from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The PSW's overview, the QA&P chair's board log, the systemic issues register, the PSW digest."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
