"""Usage months (PostgreSQL triggers) stay the GROUP BY of their facts through every kind of
write, and a ranking read from them equals the ranking over the facts, for every lens,
period, source and team filter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from leaderboard.db import facts
from leaderboard.db.rankings import RANKED_COLUMNS, ranking_sql
from leaderboard.domain.periods import Scope, period_of
from leaderboard.models import Board, Person, Source, UsageFact, UsageMonth
from leaderboard.services import usage
from leaderboard.services.people import set_ranking_exclusion
from tests.factories import AccountFactory, PersonFactory, SourceFactory, TeamFactory
from tests.helpers import AUG

NOW = dt.datetime(2026, 8, 20, tzinfo=dt.UTC)
SUMS = ["input", "cache_read", "cache_write", "output", "requests"]


def months_from_facts() -> dict[tuple, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT account_id, source_id, date_trunc('month', day)::date,
                   SUM(input), SUM(cache_read), SUM(cache_write), SUM(output), SUM(requests),
                   COALESCE(SUM(cost), 0), COUNT(cost), COUNT(*) FILTER (WHERE cost_estimated),
                   COUNT(*), array_agg(DISTINCT extract(day FROM day)::int)
            FROM leaderboard_usagefact GROUP BY 1, 2, 3
            """
        )
        return {row[:3]: tuple(row[3:]) for row in cursor.fetchall()}


def stored_months() -> dict[tuple, tuple]:
    return {
        (m.account_id, m.source_id, m.month): (
            *(getattr(m, c) for c in SUMS),
            m.cost,
            m.priced,
            m.estimated,
            m.facts,
            [d for d in range(1, 32) if m.days >> (d - 1) & 1],
        )
        for m in UsageMonth.objects.all()
    }


def row(source: Source, day: dt.date, account: Any, model: str = "gpt-5", **values: Any) -> tuple:
    counts = {"input": 0, "cache_read": 0, "cache_write": 0, "output": 0, "requests": 0}
    counts |= {k: v for k, v in values.items() if k in counts}
    cost = values.get("cost")
    return (
        source.pk,
        day,
        account.pk,
        model,
        *counts.values(),
        None if cost is None else Decimal(cost),
        values.get("estimated", False),
        NOW,
    )


@pytest.fixture
def sources(db):
    return (
        SourceFactory(name="api", provider="openai"),
        SourceFactory(name="ide", provider="cursor"),
    )


def test_months_follow_inserts_revisions_deletes_and_edits(postgres, sources) -> None:
    api, ide = sources
    one, two = AccountFactory(), AccountFactory()
    facts.upsert(
        [
            row(api, AUG, one, input=2**40, cost="1.5"),
            row(api, AUG, one, model="o3", output=7, estimated=True, cost="0.25"),
            row(api, AUG + dt.timedelta(days=9), one, input=5),  # no cost: unpriced
            row(ide, AUG, two, input=3, requests=2),
            row(api, dt.date(2026, 7, 31), two, cache_read=11),
        ]
    )
    assert stored_months() == months_from_facts() != {}

    # A late revision of old days: every row conflicts and is updated.
    facts.upsert([row(api, AUG, one, input=9, cost=None), row(ide, AUG, two, input=1)])
    assert stored_months() == months_from_facts()

    # A prune deletes a day; the month keeps its other days.
    usage.prune_usage(
        source=api,
        start=AUG + dt.timedelta(days=9),
        end=AUG + dt.timedelta(days=9),
        recorded_before=NOW + dt.timedelta(seconds=1),
    )
    assert stored_months() == months_from_facts()

    # An edit in the admin moves a fact to another month and account.
    fact = UsageFact.objects.get(model="o3")
    fact.day, fact.account = dt.date(2026, 6, 2), two
    fact.save()
    assert stored_months() == months_from_facts()

    UsageFact.objects.all().delete()
    assert not UsageMonth.objects.exists()


def normalised(rows: list[tuple]) -> list[tuple]:
    def value(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 12)
        if isinstance(v, int | Decimal) and not isinstance(v, bool):
            return Decimal(v).normalize()
        return v

    return sorted(tuple(value(v) for v in r) for r in rows)


def run(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(RANKED_COLUMNS)}, shown_team_id FROM ({sql}) r", params)  # noqa: S608
        return cursor.fetchall()


@pytest.fixture
def company(db, sources):
    """People with several accounts, two sources (one excluded later), priced, estimated
    and unpriced usage over three months, a pseudonym and a hidden person."""
    api, ide = sources
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    people = [PersonFactory(team=red if i % 2 else blue) for i in range(7)]
    people[1].visibility = Person.Visibility.PSEUDONYM
    people[2].visibility = Person.Visibility.HIDDEN
    for person in people[1:3]:
        person.save()
    rows = []
    for i, person in enumerate(people):
        first, second = AccountFactory(person=person), AccountFactory(person=person)
        for d in range(0, 80, 3 + i % 4):
            day = dt.date(2026, 6, 1) + dt.timedelta(days=d)
            cost = None if (i + d) % 5 == 0 else f"{i}.{d:02d}"
            rows.append(row(api, day, first, input=1000 * (i + 1) + d, cache_read=d * i, cost=cost))
            if d % 2 == 0:  # the same day on another account and source: one active day
                rows.append(
                    row(ide, day, second, output=500 + i, cost="0.10", estimated=i % 3 == 0)
                )
    rows.append(row(api, AUG, AccountFactory(person=None), input=10**9))  # nobody's
    unpriced = AccountFactory(person=PersonFactory(team=red))  # usage of unknown cost only
    rows += [row(api, AUG + dt.timedelta(days=d), unpriced, input=5000) for d in (0, 40)]
    facts.upsert(rows)
    return {"api": api, "ide": ide, "red": red, "people": people}


@pytest.mark.parametrize("kind", [Board.Period.MONTH, Board.Period.QUARTER, Board.Period.ALL_TIME])
def test_rankings_from_months_equal_rankings_from_facts(postgres, company, kind) -> None:
    usage.count_source(source=company["ide"], counted=True)
    compared = 0
    for excluded in (False, True):
        if excluded:
            usage.count_source(source=company["ide"], counted=False)
        for lens in Board.Lens.values:
            for back in (0, 1, 2):
                for teams, chosen in [((), ()), ((company["red"].pk,), (company["api"].pk,))]:
                    scope = Scope(
                        lens=lens,
                        period=period_of(kind, AUG, back),
                        teams=teams,
                        sources=chosen,
                        min_activity=2000,
                        ratio_min_volume=10,
                    )
                    from_months = ranking_sql(scope)
                    assert "usagemonth" in from_months[0]
                    expected = run(*ranking_sql(scope, from_facts=True))
                    assert normalised(run(*from_months)) == normalised(expected), (lens, back)
                    compared += bool(expected)
    assert compared > 20  # most scopes rank somebody


def test_a_person_excluded_from_ranking_is_in_neither_path(postgres, company) -> None:
    excluded = company["people"][3]
    set_ranking_exclusion(people=[excluded], excluded=True, reason="an admin", by=None)
    for kind in (Board.Period.MONTH, Board.Period.QUARTER, Board.Period.ALL_TIME):
        scope = Scope(lens=Board.Lens.TOTAL_TOKENS, period=period_of(kind, AUG))
        from_months, from_facts = (
            run(*ranking_sql(scope)),
            run(*ranking_sql(scope, from_facts=True)),
        )
        assert normalised(from_months) == normalised(from_facts)
        ranked = {row[0] for row in from_facts}
        assert ranked and excluded.pk not in ranked
        assert {p.pk for p in company["people"][4:]} <= ranked
