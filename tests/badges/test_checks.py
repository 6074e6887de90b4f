"""The badges app's one contract with the leaderboard: its version counter is among the
SITE_COUNTERS that every page's site read fetches."""

from __future__ import annotations

from badges.checks import badge_version_is_a_site_counter
from badges.models import BadgeVersion, current_version
from leaderboard.selectors import site


def test_the_badge_version_is_a_site_counter_in_the_settings() -> None:
    assert badge_version_is_a_site_counter(None) == []


def test_a_site_without_the_badge_version_is_warned_about(settings) -> None:
    settings.SITE_COUNTERS = {}

    (warning,) = badge_version_is_a_site_counter(None)

    assert warning.id == "badges.W001"


def test_the_site_read_carries_the_counters_the_settings_name(settings, db) -> None:
    BadgeVersion.objects.filter(id=1).update(number=41)

    named = site.site().counters
    settings.SITE_COUNTERS = {}
    unnamed = site.site().counters

    assert named == {"badges": current_version()} == {"badges": 41}
    assert unnamed == {}
