from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "scim"
    verbose_name = "Provisioning (SCIM 2.0)"
    default_auto_field = "django.db.models.BigAutoField"
