"""Stored rankings (leaderboard.rankings) give the same answers as a plain SQL aggregate over
the facts: after an ingest, after a late revision of old days, after an account changes hands,
after a source is excluded, and when a person changes how they appear."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leaderboard.db import facts
from leaderboard.domain.periods import Scope, period_of
from leaderboard.domain.records import UsageRecord
from leaderboard.models import Account, Board, Person, Place, RankedScope
from leaderboard.selectors import rankings
from leaderboard.selectors.history import rank_history
from leaderboard.selectors.rankings import Ranking
from leaderboard.services import accounts, people, usage
from leaderboard.services import rankings as service_rankings
from leaderboard.services.rankings import board_scope
from tests.factories import PersonFactory
from tests.helpers import AUG, ranks

JULY = dt.date(2026, 7, 14)
AUG_MONTH = (period_of("month", AUG).start, period_of("month", AUG).end)


def plain_totals(start: dt.date, end: dt.date) -> dict[int, tuple[int, Decimal | None]]:
    """Total tokens and cost per person over [start, end], straight from the facts."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.person_id,
                   SUM(f.input + f.cache_read + f.cache_write + f.output), SUM(f.cost)
            FROM leaderboard_usagefact f
            JOIN leaderboard_account a ON a.id = f.account_id
            JOIN leaderboard_source s ON s.id = f.source_id
            WHERE a.person_id IS NOT NULL AND s.counts_toward_totals
              AND f.day BETWEEN %s AND %s
            GROUP BY a.person_id
            """,
            [start, end],
        )
        return {
            pk: (int(tokens), None if cost is None else Decimal(cost).quantize(Decimal("0.000001")))
            for pk, tokens, cost in cursor.fetchall()
            if tokens > 0
        }


def expected_places(start: dt.date, end: dt.date) -> dict[int, tuple[int, int, Decimal | None]]:
    """person -> (rank, tokens, cost); ties share the rank."""
    totals = plain_totals(start, end)
    values = sorted((t for t, _ in totals.values()), reverse=True)
    return {pk: (values.index(t) + 1, t, cost) for pk, (t, cost) in totals.items()}


def stored_places(board: Board, period) -> dict[int, tuple[int, int, Decimal | None]]:
    ranking = rankings.Ranking(board_scope(board, lens=board.metric, period=period))
    rows = ranking.page(limit=10_000)
    assert ranking.count() == len(rows)
    return {r.person_id: (r.rank, r.total_tokens, r.cost) for r in rows}


def page_order(client, board: Board, **params) -> list[str]:
    return [
        name for _, name in ranks(client.get(f"/boards/{board.slug}/", params).content.decode())
    ]


def names_in_rank_order(places: dict[int, tuple[int, int, Decimal | None]]) -> list[str]:
    names = dict(Person.objects.values_list("pk", "display_name"))
    return [names[pk] for pk, _ in sorted(places.items(), key=lambda kv: (kv[1][0], names[kv[0]]))]


@pytest.fixture
def employee_of(client):
    def sign_in(person: Person):
        client.force_login(people.ensure_user_for_person(person=person))
        return client

    return sign_in


@pytest.fixture
def openai(db):
    return usage.ensure_source(name="OpenAI", provider="openai")


@pytest.fixture
def staff(db):
    """Six people the OpenAI export names by e-mail."""
    return [PersonFactory(display_name=f"Person {i}", email=f"p{i}@example.com") for i in range(6)]


def pull(source, *records: UsageRecord) -> None:
    """What every provider adapter does with a page of usage."""
    usage.record_usage(source=source, records=records)


def record(i: int, day: dt.date, tokens: int, cost: str | None = None) -> UsageRecord:
    return UsageRecord(
        day=day,
        account=f"user-{i}",
        email=f"p{i}@example.com",
        model="gpt-5",
        input=tokens,
        output=tokens // 10,
        cost=None if cost is None else Decimal(cost),
    )


@pytest.fixture
def ingested(openai, staff, seeded_boards):
    pull(openai, *[record(i, AUG, 10**9 * (i + 1), f"{i}.25") for i in range(6)])
    pull(openai, *[record(i, JULY, 3**i * 10**6) for i in range(6)])
    # Someone above 2^31 tokens in a day, and a tie.
    pull(openai, record(0, AUG + dt.timedelta(days=1), 3 * 2**31), record(5, JULY, 3**4 * 10**6))
    return seeded_boards["token-volume"]


def check(board: Board, today: dt.date, client=None) -> None:
    for back in (0, 1):
        period = period_of(board.period, today, back)
        expected = expected_places(period.start, period.end)
        assert expected, "the scenario must rank someone"
        assert stored_places(board, period) == expected
        if client is not None:
            assert page_order(client, board, back=back) == names_in_rank_order(expected)


def test_after_an_ingest_the_page_matches_the_plain_aggregate(ingested, employee_of, staff) -> None:
    check(ingested, AUG, employee_of(staff[0]))


def test_a_late_revision_of_an_old_day_is_seen_at_once(
    ingested, openai, employee_of, staff
) -> None:
    client = employee_of(staff[0])
    check(ingested, AUG, client)  # stored now

    pull(openai, record(0, JULY, 10**12))  # July is revised after August was ranked

    check(ingested, AUG, client)
    july = stored_places(ingested, period_of(ingested.period, AUG, 1))
    assert july[staff[0].pk][:2] == (1, 10**12 + 10**11)


def test_an_account_given_to_someone_else_moves_its_whole_history(
    ingested, employee_of, staff
) -> None:
    client = employee_of(staff[1])
    check(ingested, AUG, client)

    account = Account.objects.get(external_id="user-5")
    accounts.attribute_account(account=account, person=staff[1])
    check(ingested, AUG, client)
    assert staff[5].pk not in stored_places(ingested, period_of(ingested.period, AUG))

    accounts.attribute_account(account=account, person=None)  # and back to nobody
    check(ingested, AUG, client)


def test_excluding_a_source_and_hiding_a_person_are_seen_at_once(
    ingested, openai, employee_of, staff
) -> None:
    client = employee_of(staff[0])
    other = usage.ensure_source(name="Cursor", provider="cursor")
    pull(other, record(2, AUG, 10**13))
    check(ingested, AUG, client)
    assert page_order(client, ingested)[0] == "Person 2"

    usage.count_source(source=other, counted=False)
    check(ingested, AUG, client)
    assert page_order(client, ingested)[0] == "Person 0"  # 3 * 2^31 + 10^9 tokens

    Person.objects.filter(pk=staff[5].pk).update(visibility=Person.Visibility.HIDDEN)
    assert page_order(client, ingested)[:3] == ["Person 0", "Person 4", "Person 3"]


def test_excluding_a_person_from_ranking_moves_the_usage_version_and_is_seen_at_once(
    ingested, employee_of, staff
) -> None:
    client = employee_of(staff[0])
    august = period_of(ingested.period, AUG)
    assert staff[5].pk in stored_places(ingested, august)  # stored now
    before = service_rankings.current_version()

    people.set_ranking_exclusion(people=[staff[5]], excluded=True, reason="test user", by=None)

    assert service_rankings.current_version() > before  # the person table's trigger
    assert staff[5].pk not in stored_places(ingested, august)
    assert page_order(client, ingested)[:3] == ["Person 0", "Person 4", "Person 3"]
    # Ranked without them, the others close up: no gap marks where they were.
    assert sorted(r for r, _, _ in stored_places(ingested, august).values()) == [1, 2, 3, 4, 5]

    people.set_ranking_exclusion(people=[staff[5]], excluded=False, by=None)
    check(ingested, AUG, client)  # counted again


def test_a_ranking_is_computed_once_per_usage_version(ingested, openai, staff) -> None:
    scope = board_scope(ingested, lens=ingested.metric, period=period_of("month", AUG))
    first = service_rankings.stored(scope).ranked_scope
    assert service_rankings.stored(scope).ranked_scope.pk == first.pk
    assert first.size == Place.objects.filter(scope=first).count() == 6

    pull(openai, record(3, AUG, 1))
    second = service_rankings.stored(scope).ranked_scope
    assert second.pk != first.pk and second.version > first.version

    # The task stores what boards open first and drops what is stale.
    service_rankings.rank_boards(today=AUG)
    assert not RankedScope.objects.filter(pk=first.pk).exists()
    assert service_rankings.rank_boards(today=AUG) == 0  # everything is stored already


def test_after_rank_boards_no_page_of_this_or_the_last_period_ranks_anyone(
    ingested, employee_of, staff
) -> None:
    """What rank_boards stores is what pages open: each lens, this period and the last one
    (with its change arrows), and a person's rank chart. Ranking a board on a page view
    means aggregating a period of everyone's usage."""
    client = employee_of(staff[0])  # a first sign-in links a person: usage moves on
    service_rankings.rank_boards()  # today, as the pages see it
    stored = RankedScope.objects.count()
    for board in Board.objects.all():
        for lens in Board.Lens.values:
            for back in (0, 1):
                assert (
                    client.get(f"/boards/{board.slug}/", {"lens": lens, "back": back}).status_code
                    == 200
                )
    assert client.get(f"/people/{staff[1].public_id}/").status_code == 200
    assert RankedScope.objects.count() == stored


def test_where_am_i_seeks_my_place_in_a_ranking_stored_after_the_last_analyze(
    postgres, openai
) -> None:
    """Rankings are stored all day; the planner must still seek (scope, person) for one
    person's place rather than read the whole scope (at 100,000 people: 10 ms a page)."""
    noon = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)
    with connection.cursor() as cursor:  # earlier rankings of the same 10,000 people
        for n in range(20):
            old = RankedScope.objects.create(
                key=n, version=0, first_day=AUG, last_day=AUG, computed_at=noon, size=10_000
            )
            cursor.execute(
                "INSERT INTO leaderboard_place (scope_id, position, rank, person_id, name, team,"
                " total_tokens, cost_estimated) SELECT %s, n, n, n, 'x', '', 1, false"
                " FROM generate_series(1, 10000) n",
                [old.pk],
            )
        cursor.execute("ANALYZE leaderboard_place")
    people = Person.objects.bulk_create(
        PersonFactory.build(email=f"many{i}@example.com") for i in range(1_500)
    )
    accounts = Account.objects.bulk_create(
        Account(provider="openai", external_id=f"many-{p.pk}", person=p) for p in people
    )
    facts.upsert(
        [
            (openai.pk, AUG, a.pk, "gpt-5", 1_000 + i, 0, 0, 0, 1, None, False, noon)
            for i, a in enumerate(accounts)
        ]
    )
    scope = Scope(lens="total_tokens", period=period_of("month", AUG))
    assert Ranking(scope).count() == 1_500

    def plan(sql: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())

    # As pages ask: the stored ranking with the reader's place, then anyone's place.
    reader = Ranking(scope, reader=people[7].pk)
    with CaptureQueriesContext(connection) as read_with_ranking:
        mine = reader.positions([people[7].pk])
    with CaptureQueriesContext(connection) as read_alone:
        theirs = reader.positions([people[8].pk])
    assert mine[people[7].pk].total_tokens == 1_007
    assert theirs[people[8].pk].total_tokens == 1_008
    assert "place_scope_person" in plan(read_with_ranking[-1]["sql"])
    assert "place_scope_person" in plan(read_alone[-1]["sql"])


def test_a_readers_place_comes_with_the_stored_ranking(ingested, staff) -> None:
    """Every board page asks for the stored ranking and where its reader stands: one query,
    which gives the same row as asking for the place alone."""
    scope = board_scope(ingested, lens=ingested.metric, period=period_of("month", AUG))
    outsider = PersonFactory()  # a new person moves every scope's version: first
    service_rankings.stored(scope)
    alone = Ranking(scope).positions([staff[2].pk])

    with CaptureQueriesContext(connection) as read:
        ranking = Ranking(scope, reader=staff[2].pk)
        total, mine = ranking.count(), ranking.positions([staff[2].pk])
    with CaptureQueriesContext(connection) as read_unranked:
        unranked = Ranking(scope, reader=outsider.pk)
        nowhere = unranked.positions([outsider.pk])

    assert len(read) == 1 and len(read_unranked) == 1
    assert total == 6
    assert mine == alone and mine[staff[2].pk].rank == expected_places(*AUG_MONTH)[staff[2].pk][0]
    assert nowhere == {}
    # Anyone else's place is still looked up.
    assert ranking.positions([staff[3].pk]) == Ranking(scope).positions([staff[3].pk])


def test_rank_history_reads_the_same_stored_rankings(ingested, openai, staff) -> None:
    pull(openai, record(4, JULY, 10**12))  # a late revision: person 4 now leads July
    history_points = rank_history(person=staff[4], board=ingested, today=AUG, periods=3)

    june, july, august = (period_of(ingested.period, AUG, back) for back in (2, 1, 0))
    expected = [
        (p.start.isoformat(), expected_places(p.start, p.end).get(staff[4].pk, (None,))[0])
        for p in (june, july, august)
    ]
    assert (
        history_points == expected == [("2026-06-01", None), ("2026-07-01", 1), ("2026-08-01", 3)]
    )
