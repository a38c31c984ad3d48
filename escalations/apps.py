from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "escalations"

    def ready(self) -> None:
        from .audit import audit_subjects_register
        from .rules import action_permissions_add

        action_permissions_add()
        audit_subjects_register()
