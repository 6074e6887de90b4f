"""The one setting badges needs from the leaderboard: its version counter among the
SITE_COUNTERS that every page's site read fetches (see leaderboard/settings.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

COUNTER = "badges"  # the name pages find it under: Site.counters["badges"]
MODEL = "badges.BadgeVersion"


@register()
def badge_version_is_a_site_counter(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
    if getattr(settings, "SITE_COUNTERS", {}).get(COUNTER) == MODEL:
        return []
    return [
        Warning(
            f'SITE_COUNTERS does not map "{COUNTER}" to "{MODEL}": every page that shows '
            "badges reads the badge version with a query of its own.",
            hint=f'Add "{COUNTER}": "{MODEL}" to SITE_COUNTERS in the settings.',
            id="badges.W001",
        )
    ]
