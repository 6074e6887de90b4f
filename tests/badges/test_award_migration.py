"""Migration 0009 merges the awards of one person, badge and period (one per tier before) into
one award at the highest tier, with each tier's earliest grant; undoing it splits them again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("badges", "0008_badge_progress_until_periods_settle")]
AFTER = [("badges", "0009_one_award_per_badge_and_period")]
JULY, AUG = dt.date(2026, 7, 1), dt.date(2026, 8, 1)


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 8, day, 9, tzinfo=dt.UTC)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_awards_per_tier_merge_into_one_per_period_and_split_back() -> None:
    apps = migrate(BEFORE)
    Person, Badge = apps.get_model("leaderboard", "Person"), apps.get_model("badges", "Badge")
    Award = apps.get_model("badges", "Award")
    ada = Person.objects.create(display_name="Ada", email="ada@example.com", public_id="ada1")
    badge = Badge.objects.create(
        slug="m", name="M", description="d", icon="m", group="g", kind="threshold",
        params={"metric": "output"}, tiers={"bronze": 1, "gold": 2}, period="month",
    )  # fmt: skip

    def award(tier, start, granted, revoked=None):
        end = start.replace(day=31)
        Award.objects.create(
            person=ada, badge=badge, tier=tier, period_start=start, period_end=end,
            granted_at=granted, revoked_at=revoked, evidence={"tier": tier},
        )  # fmt: skip

    award("bronze", AUG, at(3))
    award("silver", AUG, at(5))
    award("gold", AUG, at(9))
    award("bronze", JULY, at(1))
    award("gold", JULY, at(2), revoked=at(4))  # revoked: the bronze still held is kept

    apps = migrate(AFTER)
    Award = apps.get_model("badges", "Award")
    merged = {a.period_start: a for a in Award.objects.all()}
    assert set(merged) == {JULY, AUG}
    august, july = merged[AUG], merged[JULY]
    assert (august.tier, august.granted_at, august.revoked_at) == ("gold", at(3), None)
    assert august.tiers_reached == {
        "bronze": at(3).isoformat(),
        "silver": at(5).isoformat(),
        "gold": at(9).isoformat(),
    }
    assert (july.tier, july.revoked_at, july.tiers_reached) == (
        "bronze",
        None,
        {"bronze": at(1).isoformat()},
    )

    apps = migrate(BEFORE)
    Award = apps.get_model("badges", "Award")
    split = sorted((a.period_start, a.tier, a.granted_at) for a in Award.objects.all())
    assert split == [
        (JULY, "bronze", at(1)),
        (AUG, "bronze", at(3)),
        (AUG, "gold", at(9)),
        (AUG, "silver", at(5)),
    ]
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
