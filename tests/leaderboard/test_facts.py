"""The bulk write path: new keys are COPYed straight in, a batch with a stored key is merged;
either way a key is stored once, with its latest values (on SQLite: Django's bulk upsert)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from leaderboard import facts
from leaderboard.models import UsageFact, UsageMonth
from tests.factories import AccountFactory, SourceFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 30)


@pytest.fixture
def accounts():
    return [AccountFactory() for _ in range(3)]  # in key order: by pk


@pytest.fixture
def write(accounts):
    source, now = SourceFactory(), timezone.now()

    def rows(output: int, days: range, models=("gpt-5", "o3"), who=None) -> list[tuple]:
        return [
            (source.pk, DAY + dt.timedelta(days=d), a.pk, m, 10, 1, 0, output, 1, None, False, now)
            for d in days
            for a in who or accounts
            for m in models
        ]

    return rows


def stored() -> dict[tuple, int]:
    return {
        (f.account_id, f.day, f.model): f.output
        for f in UsageFact.objects.only("account_id", "day", "model", "output")
    }


def months_agree() -> None:
    """On PostgreSQL the usage months follow every write: they sum what the facts sum."""
    if connection.vendor == "postgresql":
        assert (
            UsageMonth.objects.aggregate(s=Sum("output"))["s"]
            == (UsageFact.objects.aggregate(s=Sum("output"))["s"])
        )


def test_new_keys_land_and_a_batch_repeating_some_of_them_replaces_those_and_adds_the_rest(
    write, accounts
):
    assert facts.upsert(write(5, range(0, 2))) == 12

    # Days 1..3: day 1 is stored, days 2 and 3 are new; a stored key comes first.
    assert facts.upsert(write(7, range(1, 4))) == 18
    # New days for the first two accounts, then day 0 of the last: in key order (account
    # first), the stored key is the batch's last row.
    later = write(9, range(4, 6), who=accounts[:2]) + write(
        9, range(0, 1), models=("gpt-5",), who=accounts[2:]
    )
    assert facts.upsert(later) == 9
    months_agree()

    found = stored()
    assert len(found) == UsageFact.objects.count() == 3 * 2 * 4 + 2 * 2 * 2
    last = accounts[2].pk
    assert found[(last, DAY, "gpt-5")] == 9  # replaced
    assert found[(last, DAY, "o3")] == 5  # not in the batch: kept
    assert {v for (a, day, _), v in found.items() if day == DAY and a != last} == {5}
    assert {v for (_, day, _), v in found.items() if day == DAY + dt.timedelta(days=1)} == {7}
    assert {v for (_, day, _), v in found.items() if day >= DAY + dt.timedelta(days=4)} == {9}


def test_a_second_pull_of_the_same_rows_changes_nothing(write):
    facts.upsert(write(5, range(0, 3)))
    before = stored()

    facts.upsert(write(5, range(0, 3)))

    assert stored() == before
    months_agree()


def test_a_bad_row_among_new_keys_fails_the_batch_and_nothing_lands(write):
    rows = write(5, range(0, 2))
    rows[-1] = (*rows[-1][:7], -1, *rows[-1][8:])  # a negative output

    with pytest.raises(IntegrityError), transaction.atomic():
        facts.upsert(rows)

    assert UsageFact.objects.count() == 0
    months_agree()
