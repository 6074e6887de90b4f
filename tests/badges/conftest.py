from __future__ import annotations

import datetime as dt
import importlib

import pytest

from badges.models import Badge
from leaderboard.models import Person, Source
from tests.factories import AccountFactory, PersonFactory, UsageFactFactory

# Wednesday 2026-08-19: the week of Aug 10-16 and July are closed, August is not.
TODAY = dt.date(2026, 8, 19)
NOW = dt.datetime(2026, 8, 19, 12, tzinfo=dt.UTC)


class Usage:
    """Writes usage facts for people on one shared source (or the one named)."""

    def __init__(self) -> None:
        self.source = Source.objects.create(name="test-source", provider="openai")
        self.accounts: dict[int, object] = {}

    def __call__(
        self,
        person: Person,
        day: dt.date,
        *,
        source: Source | None = None,
        model: str = "gpt-5",
        **counts: int,
    ) -> None:
        account = self.accounts.get(person.pk) or AccountFactory(person=person)
        self.accounts[person.pk] = account
        UsageFactFactory(
            account=account,
            source=source or self.source,
            day=day,
            model=model,
            **{"input": 0, "output": 0, **counts},
        )


@pytest.fixture
def usage(db) -> Usage:
    return Usage()


@pytest.fixture
def people(db) -> list[Person]:
    return [PersonFactory(display_name=name) for name in ["Ada", "Ben", "Cy", "Di"]]


@pytest.fixture
def catalogue(db) -> dict[str, Badge]:
    """The default catalogue, as the data migration seeds it (tests that flush the database
    remove seeded rows, so put them back)."""
    migration = importlib.import_module("badges.migrations.0002_default_catalogue")
    for badge in migration.CATALOGUE:
        Badge.objects.get_or_create(slug=badge["slug"], defaults={**badge, "enabled": True})
    return {b.slug: b for b in Badge.objects.all()}
