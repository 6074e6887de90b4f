"""Badges judged over calendar months or all time read usage months on PostgreSQL; every
one of them must find exactly who the same rule finds over the facts, evidence included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction

from badges import rules
from badges.models import Badge
from badges.rules.streaks import longest_run
from leaderboard.db import facts
from leaderboard.models import Account, Person, Source
from leaderboard.services.people import set_ranking_exclusion
from tests.factories import AccountFactory, BadgeFactory, PersonFactory, SourceFactory
from tests.helpers import BADGES_TODAY as TODAY

NOW = dt.datetime(2026, 8, 19, tzinfo=dt.UTC)
MODELS = ["gpt-5", "o3", "gpt-4.1", "o4-mini", "gpt-5-mini", "o1"]
EXTRA = [  # kinds, metrics and periods the default catalogue does not use
    dict(kind="threshold", period="month", params={"metric": "cost"}, tiers={"gold": "3.5"}),
    dict(kind="threshold", period="month", params={"metric": "requests"}, tiers={"gold": 4}),
    dict(kind="threshold", period="all_time", params={"metric": "active_days"}, tiers={"gold": 9}),
    dict(kind="threshold", period="all_time", params={"metric": "cost"}, tiers={"gold": 1}),
    dict(kind="threshold", period="month", params={"metric": "cache_read"}, tiers={"gold": 1}),
    dict(
        kind="ratio",
        period="all_time",
        params={"metric": "output_per_input", "direction": "above", "min_volume": 10},
        tiers={"bronze": "0.01", "gold": "0.5"},
    ),
    dict(
        kind="ratio",
        period="month",
        params={"metric": "cache_read_share", "direction": "above", "min_volume": 10},
        tiers={"gold": "0.2"},
    ),
    dict(kind="rank", period="month", params={"metric": "cost"}, tiers={"gold": 1, "bronze": 3}),
    dict(kind="streak", period="all_time", params={}, tiers={"bronze": 2, "gold": 12}),
]


def row(
    source: Source, day: dt.date, account: Account, model: str = "gpt-5", **v: Any
) -> facts.FactRow:
    cost = v.get("cost")
    return facts.FactRow(
        source.pk,
        day,
        account.pk,
        model,
        v.get("input", 0),
        v.get("cache_read", 0),
        v.get("cache_write", 0),
        v.get("output", 0),
        v.get("requests", 0),
        None if cost is None else Decimal(cost),
        False,
        NOW,
    )


@pytest.fixture
def usage(postgres, catalogue):
    """Four months of usage: people with two accounts on two sources, runs of active days
    across month ends, unpriced days, several models, an excluded source, nobody's usage."""
    api = SourceFactory(name="api", provider="openai")
    ide = SourceFactory(name="ide", provider="cursor")
    chat = SourceFactory(name="chat", provider="anthropic")
    lab = SourceFactory(name="lab", provider="other", counts_toward_totals=False)
    rows = []
    for i in range(9):
        person = PersonFactory()
        first, second = AccountFactory(person=person), AccountFactory(person=person)
        for d in range(0, 110):
            day = dt.date(2026, 5, 1) + dt.timedelta(days=d)
            if (d // (3 + i)) % 3 == 2:  # runs of 3+i active days, then a gap
                continue
            cost = None if (i + d) % 7 == 0 else f"0.{(i * d) % 97:02d}"
            model = MODELS[(d + i) % min(2 + i, len(MODELS))]
            rows.append(
                row(
                    api,
                    day,
                    first,
                    model,
                    input=10_000 * (i + 1) + d,
                    cache_read=d * i * 50,
                    output=100 + 17 * i * d,
                    requests=1 + d % 3,
                    cost=cost,
                )
            )
            if d % (i + 2) == 0:
                rows.append(row(ide, day, second, output=500 + i, requests=2, cost="0.05"))
            if d % (i + 3) == 1:
                rows.append(row(chat, day, second, "claude", input=900, output=90, cost="0.20"))
            if d % 5 == 0:
                rows.append(row(lab, day, second, input=10**12))  # not counted
    # 42 days in a row, over a month's end (with output: streaks have an efficiency floor)
    steady = AccountFactory(person=PersonFactory())
    rows += [
        row(
            api, dt.date(2026, 6, 20) + dt.timedelta(days=d), steady, input=5, output=1, cost="0.01"
        )
        for d in range(42)
    ]
    heavy = AccountFactory(person=PersonFactory())  # enough for the calibrated Token Volume
    rows += [
        row(api, dt.date(2026, 7, 6 + d), heavy, input=4 * 10**8, output=10**7, cost="9.99")
        for d in range(3)
    ]
    unpriced = AccountFactory(person=PersonFactory())  # a month of usage of unknown cost
    rows += [
        row(api, dt.date(2026, 7, 1 + d), unpriced, input=10**6, output=20_000) for d in range(10)
    ]
    rows.append(row(api, dt.date(2026, 6, 3), AccountFactory(person=None), input=10**12))
    facts.upsert(rows)


def found(badge: Badge, **options: Any) -> list[tuple]:
    return sorted(
        (q.person_id, q.tier, q.period_start, q.period_end, q.last_day, sorted(q.evidence.items()))
        for q in rules.qualifiers(badge, today=TODAY, **options)
    )


def badges(catalogue: dict[str, Badge]) -> list[Badge]:
    extra = [
        BadgeFactory(slug=f"extra-{n}", name=f"Extra {n}", icon="x", group="x", **b)
        for n, b in enumerate(EXTRA)
    ]
    return [*catalogue.values(), *extra]


def test_every_month_and_all_time_badge_finds_the_same_people_as_over_the_facts(
    usage, catalogue
) -> None:
    judged = 0
    for badge in badges(catalogue):
        if not rules.reads_months(badge, rules.scope(badge, today=TODAY, changed=None)):
            continue
        from_months, from_facts = found(badge), found(badge, from_facts=True)
        assert from_months == from_facts, badge.slug
        assert from_facts, f"{badge.slug} finds nobody: the comparison would prove nothing"
        judged += 1
    assert judged >= 14


def test_a_change_in_some_months_is_judged_over_the_same_months_either_way(
    usage, catalogue
) -> None:
    changed = (dt.date(2026, 6, 10), dt.date(2026, 7, 2))
    for badge in badges(catalogue):
        window = rules.scope(badge, today=TODAY, changed=changed)
        if badge.period == "month":
            assert rules.reads_months(badge, window) == (
                badge.kind != "breadth" or badge.params["of"] == "sources"
            )
            assert found(badge, changed=changed) == found(badge, changed=changed, from_facts=True)


def test_a_person_excluded_from_ranking_earns_no_badge_from_months_weeks_or_facts(
    usage, catalogue
) -> None:
    every = badges(catalogue)
    before = [q.person_id for b in every for q in rules.qualifiers(b, today=TODAY)]
    excluded = Person.objects.get(pk=max(set(before), key=before.count))  # the most decorated
    set_ranking_exclusion(people=[excluded], excluded=True, reason="a test user", by=None)

    with rules.person_weeks():
        weekly = [b for b in every if b.period == "week"]
        assert weekly and all(excluded.pk not in {q[0] for q in found(b)} for b in weekly)
    for badge in every:
        from_months, from_facts = found(badge), found(badge, from_facts=True)
        assert from_months == from_facts, badge.slug
        assert excluded.pk not in {q[0] for q in from_facts}, badge.slug


WEEKLY = [  # weekly kinds and metrics the default catalogue does not use
    dict(kind="threshold", period="week", params={"metric": "active_days"}, tiers={"gold": 5}),
    dict(kind="threshold", period="week", params={"metric": "cost"}, tiers={"gold": "0.9"}),
    dict(kind="threshold", period="week", params={"metric": "total_tokens"}, tiers={"gold": 1}),
    dict(kind="rank", period="week", params={"metric": "requests"}, tiers={"gold": 1, "silver": 2}),
    dict(
        kind="ratio",
        period="week",
        params={"metric": "cost_per_1k_output", "direction": "below", "min_volume": 10},
        tiers={"gold": "0.5"},
    ),
]


def test_inside_a_full_pass_weekly_badges_read_one_week_rollup_and_find_the_same_people(
    usage, catalogue
) -> None:
    extra = [
        BadgeFactory(slug=f"weekly-{n}", name=f"Weekly {n}", icon="x", group="x", **b)
        for n, b in enumerate(WEEKLY)
    ]
    weekly = [b for b in catalogue.values() if b.period == "week"] + extra
    window = rules.scope(weekly[0], today=TODAY, changed=None)
    assert not rules.reads_months(weekly[0], window)  # outside: the facts
    with rules.person_weeks():
        for badge in weekly:
            assert rules.reads_months(badge, window), badge.slug
            from_weeks, from_facts = found(badge), found(badge, from_facts=True)
            assert from_weeks == from_facts, badge.slug
            # the catalogue's efficiency badges ask for more volume than this data has
            assert from_facts or badge not in extra, f"{badge.slug} finds nobody"
    assert len(weekly) >= 8
    with connection.cursor() as cursor:  # the rollup is gone afterwards
        cursor.execute("SELECT to_regclass(%s)", [rules.WEEKS_TABLE])
        assert cursor.fetchone() == (None,)


def test_the_longest_run_of_active_days_is_read_from_day_bits() -> None:
    origin = dt.date(2026, 1, 30)
    #           days:  0 1 2 3 . . 6 7 8
    bits = 0b111001111
    assert longest_run(bits, origin) == (4, origin, origin + dt.timedelta(days=3))
    # equal runs: the latest wins
    assert longest_run(0b1100011, origin) == (
        2,
        origin + dt.timedelta(days=5),
        origin + dt.timedelta(days=6),
    )


def test_week_day_and_rolling_badges_and_model_breadth_read_the_facts(postgres) -> None:
    def badge(**fields: Any) -> Badge:
        return Badge(slug="b", name="b", icon="b", group="b", tiers={"gold": 1}, **fields)

    for unmonthly in [
        badge(kind="threshold", period="week", params={"metric": "output"}),
        badge(kind="threshold", period="day", params={"metric": "output"}),
        badge(kind="threshold", period="rolling_30", params={"metric": "output"}),
        badge(kind="breadth", period="month", params={"of": "models"}),
        badge(kind="streak", period="rolling_90", params={}),
    ]:
        window = rules.scope(unmonthly, today=TODAY, changed=None)
        assert not rules.reads_months(unmonthly, window)


def test_an_error_inside_a_full_pass_surfaces_as_itself(postgres) -> None:
    """The rollup is dropped on the way out; in a failed transaction that drop cannot run,
    and must not hide the error that failed it."""
    with (
        pytest.raises(ProgrammingError, match="no_such_table"),
        transaction.atomic(),
        rules.person_weeks(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT * FROM no_such_table")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [rules.WEEKS_TABLE])
        assert cursor.fetchone() == (None,)
