from django.apps import AppConfig


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = "Badges"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the usage_recorded receiver
