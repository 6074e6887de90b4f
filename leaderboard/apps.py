from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"
    verbose_name = "Leaderboard"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the deployment checks
            receivers,  # noqa: F401 - connects the usage_recorded receiver
        )
