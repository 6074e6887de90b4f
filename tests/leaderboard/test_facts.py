"""The bulk write path: new keys are COPYed straight in, a batch with a stored key is merged;
either way a key is stored once, with its latest values (on SQLite: Django's bulk upsert)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from leaderboard.db import facts
from leaderboard.models import UsageFact, UsageMonth
from tests.factories import AccountFactory, SourceFactory
from tests.helpers import row_versions, seen

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 30)


@pytest.fixture
def accounts():
    return [AccountFactory() for _ in range(3)]  # in key order: by pk


@pytest.fixture
def write(accounts):
    source, now = SourceFactory(), timezone.now()

    def rows(output: int, days: range, models=("gpt-5", "o3"), who=None) -> list[facts.FactRow]:
        return [
            facts.FactRow(
                source.pk,
                DAY + dt.timedelta(days=d),
                a.pk,
                m,
                10,
                1,
                0,
                output,
                1,
                None,
                False,
                now,
            )
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


def test_a_batch_whose_first_key_is_stored_goes_straight_to_the_merge(postgres, write, monkeypatch):
    facts.upsert(write(5, range(0, 2)))
    tried = []
    copy_new = facts._copy_new
    monkeypatch.setattr(facts, "_copy_new", lambda rows: tried.append(len(rows)) or copy_new(rows))

    facts.upsert(write(6, range(0, 3)))  # a pull reading two stored days again, and a new one
    assert tried == []  # no COPY that would fail only after every row was sent
    facts.upsert(write(7, range(3, 4)))  # a new day alone
    assert tried == [6]

    assert len(stored()) == 3 * 2 * 4
    assert set(stored().values()) == {6, 7}
    months_agree()


def test_a_bad_row_among_new_keys_fails_the_batch_and_nothing_lands(write):
    rows = write(5, range(0, 2))
    rows[-1] = (*rows[-1][:7], -1, *rows[-1][8:])  # a negative output

    with pytest.raises(IntegrityError), transaction.atomic():
        facts.upsert(rows)

    assert UsageFact.objects.count() == 0
    months_agree()


def locked_rows() -> list[int]:
    """The stored facts that a transaction locked (PostgreSQL's xmax is not 0): a lock
    writes to the row, as ON CONFLICT's does to each row it meets."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM leaderboard_usagefact WHERE xmax::text <> '0'")
        return [row[0] for row in cursor.fetchall()]


def pulled_again(rows: list[tuple], at: dt.datetime) -> list[tuple]:
    return [(*r[:-1], at) for r in rows]


def test_a_pull_rewrites_only_the_facts_whose_values_changed_and_notes_the_rest_as_seen(
    postgres, write
):
    facts.upsert(write(5, range(0, 2)), keep_unchanged=True)
    versions = row_versions()
    later = timezone.now() + dt.timedelta(hours=1)  # the next pull
    again = pulled_again(write(5, range(0, 2)), later)
    again[3] = (*again[3][:7], 6, *again[3][8:])  # one fact revised
    revised = UsageFact.objects.get(account_id=again[3][2], day=again[3][1], model=again[3][3])

    assert facts.upsert(again, keep_unchanged=True) == 12

    after = row_versions()
    assert [pk for pk in after if after[pk] != versions[pk]] == [revised.pk]
    assert set(locked_rows()) <= {revised.pk}  # the others were not even locked
    revised.refresh_from_db()
    assert (revised.output, revised.recorded_at) == (6, later)
    assert UsageFact.objects.exclude(pk=revised.pk).filter(recorded_at=later).count() == 0
    assert seen() == {(r[2], r[1], r[3], later) for r in again}
    months_agree()


def test_without_keep_unchanged_every_row_is_written(postgres, write):
    facts.upsert(write(5, range(0, 2)))
    versions = row_versions()

    facts.upsert(pulled_again(write(5, range(0, 2)), timezone.now() + dt.timedelta(hours=1)))

    after = row_versions()
    assert all(after[pk] != versions[pk] for pk in versions)
    assert seen() == set()


def test_pruning_keeps_what_the_pull_wrote_or_saw_and_drops_what_it_no_longer_reports(write):
    first = write(5, range(0, 2))
    source_id = first[0][0]
    facts.upsert(first, keep_unchanged=True)
    later = timezone.now() + dt.timedelta(hours=1)
    again = pulled_again(write(5, range(0, 2)), later)
    gone = again.pop(4)  # the provider no longer reports this fact
    again[0] = (*again[0][:7], 6, *again[0][8:])  # and revised this one
    facts.upsert(again, keep_unchanged=True)

    deleted = facts.prune(
        source_id=source_id, start=DAY, end=DAY + dt.timedelta(days=1), pulled_at=later
    )
    facts.forget_seen(source_id=source_id, through=later)

    assert deleted == 1
    found = stored()
    assert set(found) == {(r[2], r[1], r[3]) for r in again}
    assert (gone[2], gone[1], gone[3]) not in found
    assert found[(again[0][2], again[0][1], again[0][3])] == 6
    if connection.vendor == "postgresql":
        assert seen() == set()
    months_agree()


def test_pruning_anti_joins_the_seen_keys_by_no_nested_loop_on_tables_never_analysed(
    postgres, write, accounts
):
    # A test's rows are never committed, so neither autovacuum nor ANALYZE has seen them:
    # the planner guesses a handful of rows on both sides, as on a fresh database.
    more = [AccountFactory() for _ in range(20)]
    first = write(5, range(0, 10), who=accounts + more)
    source_id, later = first[0][0], timezone.now() + dt.timedelta(hours=1)
    facts.upsert(first, keep_unchanged=True)
    facts.upsert(pulled_again(first[1:], later), keep_unchanged=True)
    plans = []

    def explain(execute, sql, params, many, context):
        if facts.SEEN in sql and "NOT EXISTS" in sql:
            context["cursor"].cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row[0] for row in context["cursor"].cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        deleted = facts.prune(
            source_id=source_id, start=DAY, end=DAY + dt.timedelta(days=9), pulled_at=later
        )

    assert deleted == 1
    assert len(plans) == 1 and "Anti Join" in plans[0]
    assert "Nested Loop" not in plans[0]  # once per fact over the seen table: quadratic
