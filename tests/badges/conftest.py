from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from badges.models import Badge
from leaderboard.models import Person
from tests.factories import PersonFactory


@pytest.fixture
def people(db) -> list[Person]:
    return [PersonFactory(display_name=name) for name in ["Ada", "Ben", "Cy", "Di"]]


# The data migrations that change the default catalogue after 0002, each with forwards().
LATER_DATA_MIGRATIONS = [
    "0007_efficiency_floors_on_volume_badges",
    "0010_calibrate_default_catalogue",
    "0011_default_badges_follow_their_data",
]


@pytest.fixture
def catalogue(db) -> dict[str, Badge]:
    """The default catalogue, as the data migration seeds it (tests that flush the database
    remove seeded rows, so put them back)."""
    migration = importlib.import_module("badges.migrations.0002_default_catalogue")
    for badge in migration.CATALOGUE:
        Badge.objects.get_or_create(slug=badge["slug"], defaults={**badge, "enabled": True})
    for later in LATER_DATA_MIGRATIONS:
        module = importlib.import_module(f"badges.migrations.{later}")
        module.forwards(django_apps, None)
    return {b.slug: b for b in Badge.objects.all()}
