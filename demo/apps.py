from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The fictional demo data and its `seed_demo` command: above the domain apps, imported by none."""

    name = "demo"
    verbose_name = "Demo data"
