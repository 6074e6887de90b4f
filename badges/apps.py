from django.apps import AppConfig


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = "Badges"

    def ready(self) -> None:
        from leaderboard.selectors import site

        from . import receivers  # noqa: F401 - connects the usage_recorded receiver
        from .models import BadgeVersion

        site.COUNTERS["badges"] = BadgeVersion  # read with the site on every page
