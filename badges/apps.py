from django.apps import AppConfig


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = "Badges"

    def ready(self) -> None:
        # Imported for what importing does: the SITE_COUNTERS check registers, and the
        # usage_recorded receiver connects.
        from . import checks, receivers  # noqa: F401 - imported for what importing does
