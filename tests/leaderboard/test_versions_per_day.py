"""Usage versions per day (issue 23): a change to the facts of some days re-ranks only the
scopes that count one of those days; a change that is not about days (an account given to
someone else, a hidden person, an excluded source) re-ranks everything. Whatever survives
must still equal a ranking computed from scratch over the facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction

from leaderboard.domain.periods import Scope, period_of
from leaderboard.domain.rows import Row
from leaderboard.models import (
    Account,
    Board,
    Person,
    RankedScope,
    UsageDay,
    UsageFact,
    UsageVersion,
)
from leaderboard.selectors.rankings import Ranking
from leaderboard.services import accounts, people, usage
from leaderboard.services import rankings as service_rankings
from leaderboard.services.rankings import board_scope, board_scopes
from tests.factories import PersonFactory
from tests.helpers import AUG, ranks
from tests.leaderboard.test_rankings import JULY, plain_totals, pull, record

TODAY = dt.date(2026, 8, 20)  # a Thursday: August and its third full week are current


@pytest.fixture
def openai(db):
    return usage.ensure_source(name="OpenAI", provider="openai")


@pytest.fixture
def staff(db):
    return [PersonFactory(display_name=f"Person {i}", email=f"p{i}@example.com") for i in range(6)]


@pytest.fixture
def boards(postgres, openai, staff, seeded_boards) -> list[Board]:
    """The seeded boards (month and week) and a day, quarter and all-time board, over usage
    in June, July, early August and the day before today (PostgreSQL: SQLite keeps one
    version for everything)."""
    for position, period in enumerate(("day", "quarter", "all_time"), start=10):
        Board.objects.create(
            slug=f"by-{period}", name=f"By {period}", metric="total_tokens", period=period,
            position=position,
        )  # fmt: skip
    pull(openai, *[record(i, AUG, 10**9 * (i + 1), f"{i}.25") for i in range(6)])
    pull(openai, *[record(i, JULY, 3**i * 10**6) for i in range(6)])
    pull(openai, *[record(i, dt.date(2026, 6, 2), 7 * 10**6 * (6 - i)) for i in range(6)])
    pull(openai, *[record(i, TODAY - dt.timedelta(days=1), 10**8 * (i % 3 + 1)) for i in range(6)])
    return list(Board.objects.exclude(status=Board.Status.RETIRED))


def every_scope(boards: list[Board]) -> list[Scope]:
    """What the boards' pages open first (as rank_boards stores them), each board's periods
    back to June in its own lens, and every team's month."""
    scopes = [scope for board in boards for scope in board_scopes(board, TODAY)]
    for board in boards:
        for back in range(0, 12):
            period = period_of(board.period, TODAY, back)
            if period.end >= dt.date(2026, 6, 1):
                scopes.append(board_scope(board, lens=board.metric, period=period))
    return scopes


def rows(scope: Scope) -> list[Row]:
    ranking = Ranking(scope)
    return ranking.page(limit=10_000)


def assert_stored_equals_from_scratch(boards: list[Board]) -> None:
    """Every stored ranking a page uses equals the ranking computed again with nothing
    stored and nothing cached (rolled back after, so what was stored stays stored)."""
    scopes = every_scope(boards)
    served = [rows(scope) for scope in scopes]
    assert any(served), "the scenario must rank someone"
    with transaction.atomic():
        RankedScope.objects.all().delete()
        cache.clear()
        assert [rows(scope) for scope in scopes] == served
        transaction.set_rollback(True)
    # And the month's ranking, as a plain SQL aggregate over the facts has it.
    for month in (period_of("month", TODAY, 0), period_of("month", TODAY, 1)):
        scope = board_scope(boards[0], lens=boards[0].metric, period=month)
        stored = {r.person_id: (r.rank, r.total_tokens, r.cost) for r in rows(scope)}
        assert stored == plain_places(month.start, month.end)


def plain_places(start: dt.date, end: dt.date) -> dict[int, tuple[int, int, Decimal | None]]:
    """person -> (rank, tokens, cost) straight from the facts, hidden people left out."""
    hidden = set(
        Person.objects.filter(visibility=Person.Visibility.HIDDEN).values_list("pk", flat=True)
    )
    totals = {pk: t for pk, t in plain_totals(start, end).items() if pk not in hidden}
    values = sorted((t for t, _ in totals.values()), reverse=True)
    return {pk: (values.index(t) + 1, t, cost) for pk, (t, cost) in totals.items()}


def stored_now() -> dict[int, tuple[dt.date, dt.date, int]]:
    return dict(
        (pk, (first, last, version))
        for pk, first, last, version in RankedScope.objects.values_list(
            "pk", "first_day", "last_day", "version"
        )
    )


def survivors_after(change, boards: list[Board], days: set[dt.date] | None) -> set[int]:
    """Store every scope, make the change, store again; the stored rankings that survived.
    Asserts that exactly those not counting one of `days` (None: none at all) survived."""
    service_rankings.rank_boards(today=TODAY)
    for scope in every_scope(boards):
        rows(scope)
    before = stored_now()
    change()
    service_rankings.rank_boards(today=TODAY)
    for scope in every_scope(boards):
        rows(scope)
    after = stored_now()
    survived = {pk for pk in before if pk in after}
    untouched = {
        pk
        for pk, (first, last, _) in before.items()
        if days is not None and not any(first <= day <= last for day in days)
    }
    assert survived == untouched
    assert all(after[pk] == before[pk] for pk in survived)  # the same row, at its version
    assert_stored_equals_from_scratch(boards)
    return survived


def test_stored_rankings_equal_rankings_from_scratch_through_every_kind_of_change(
    boards, openai, staff, client
) -> None:
    assert_stored_equals_from_scratch(boards)

    # A re-pull revises a past day: only the scopes counting July 14 re-rank.
    kept = survivors_after(lambda: pull(openai, record(0, JULY, 10**12)), boards, {JULY})
    assert kept  # August, its weeks and days, June and the quarter before stayed stored

    # An account given to someone else, a hidden person, an excluded source: everything.
    account = Account.objects.get(external_id="user-5")
    assert not survivors_after(
        lambda: accounts.attribute_account(account=account, person=staff[1]), boards, None
    )
    assert not survivors_after(
        lambda: Person.objects.filter(pk=staff[4].pk).update(visibility=Person.Visibility.HIDDEN),
        boards,
        None,
    )
    other = usage.ensure_source(name="Cursor", provider="cursor")
    pull(other, record(2, AUG, 10**13))
    assert not survivors_after(
        lambda: usage.count_source(source=other, counted=False), boards, None
    )

    # A new day's pull (today, for everyone already known): only today's scopes re-rank.
    kept = survivors_after(
        lambda: pull(openai, *[record(i, TODAY, 10**10 * (i + 1)) for i in range(4)]),
        boards,
        {TODAY},
    )
    assert kept

    # The board page serves the same order as the plain aggregate.
    client.force_login(people.ensure_user_for_person(person=staff[0]))
    month = period_of("month", TODAY)
    expected = plain_places(month.start, month.end)
    names = dict(Person.objects.values_list("pk", "display_name"))
    order = [
        names[pk] for pk, _ in sorted(expected.items(), key=lambda kv: (kv[1][0], names[kv[0]]))
    ]
    assert [
        name for _, name in ranks(client.get("/boards/token-volume/").content.decode())
    ] == order


def test_a_pull_of_today_leaves_last_months_stored_ranking_in_place(
    boards, openai, staff, client
) -> None:
    client.force_login(people.ensure_user_for_person(person=staff[0]))
    board = next(b for b in boards if b.slug == "token-volume")
    august, july = period_of("month", TODAY, 0), period_of("month", TODAY, 1)

    def ranked_scope(period) -> RankedScope:
        scope = board_scope(board, lens=board.metric, period=period)
        return service_rankings.stored(scope).ranked_scope

    service_rankings.rank_boards(today=TODAY)
    july_before, august_before = ranked_scope(july), ranked_scope(august)
    version_before = service_rankings.current_version()

    pull(openai, record(3, TODAY, 5 * 10**12))  # only today changed

    assert service_rankings.current_version() > version_before  # usage moved on
    assert service_rankings.rank_boards(today=TODAY) > 0  # today's periods re-rank
    july_after, august_after = ranked_scope(july), ranked_scope(august)
    assert (july_after.pk, july_after.version) == (july_before.pk, july_before.version)
    assert RankedScope.objects.filter(pk=july_before.pk, version=july_before.version).exists()
    assert august_after.version > august_before.version
    assert not RankedScope.objects.filter(pk=august_before.pk).exists()  # dropped as stale
    # Last month's page is served from the surviving ranking: nothing is ranked for it.
    stored = RankedScope.objects.count()
    assert client.get(f"/boards/{board.slug}/", {"back": 1}).status_code == 200
    assert RankedScope.objects.count() == stored
    assert (
        Ranking(board_scope(board, lens=board.metric, period=august)).page(limit=1)[0].person_id
        == Account.objects.get(external_id="user-3").person_id
    )


def test_a_fact_moved_to_another_day_moves_both_days_and_nothing_else(boards) -> None:
    """An update notes the day a fact had and the day it has; other days keep their number."""
    june = dt.date(2026, 6, 2)
    before = dict(UsageDay.objects.values_list("day", "number"))
    everything = UsageVersion.objects.get(pk=1).everything

    UsageFact.objects.filter(day=JULY).update(day=JULY + dt.timedelta(days=1))

    after = dict(UsageDay.objects.values_list("day", "number"))
    bumped = service_rankings.current_version()
    assert after[JULY] == after[JULY + dt.timedelta(days=1)] == bumped > before[JULY]
    assert after[june] == before[june] and after[AUG] == before[AUG]
    assert UsageVersion.objects.get(pk=1).everything == everything  # not a change of everyone
    # An update that changes no row moves nothing.
    UsageFact.objects.filter(day=dt.date(2020, 1, 1)).update(output=1)
    assert service_rankings.current_version() == bumped
