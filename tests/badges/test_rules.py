"""Every rule kind and tier, on small factory data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from badges import rules
from badges.models import ALL_TIME
from leaderboard.services.people import set_ranking_exclusion
from tests.factories import AccountFactory, BadgeFactory, SourceFactory, UsageFactFactory
from tests.helpers import BADGES_TODAY as TODAY

D = dt.date


def found(badge) -> set[tuple]:
    return {
        (q.person_id, q.tier, q.period_start, q.period_end)
        for q in rules.qualifiers(badge, today=TODAY)
    }


def test_threshold_awards_every_tier_reached_over_all_time(usage, people) -> None:
    ada, ben, cy, _ = people
    usage(ada, D(2026, 8, 1), input=600, output=400)
    usage(ben, D(2026, 8, 1), input=60, cache_read=20, cache_write=10, output=10)
    usage(cy, D(2026, 8, 1), input=99)
    badge = BadgeFactory(tiers={"bronze": 100, "gold": 1000})

    assert found(badge) == {
        (ada.pk, "bronze", *ALL_TIME),
        (ada.pk, "gold", *ALL_TIME),
        (ben.pk, "bronze", *ALL_TIME),
    }


def test_threshold_per_calendar_month_and_day(usage, people) -> None:
    ada = people[0]
    usage(ada, D(2026, 7, 31), input=60)
    usage(ada, D(2026, 8, 1), input=60)
    usage(ada, D(2026, 8, 2), input=60)
    monthly = BadgeFactory(period="month", tiers={"gold": 100})
    daily = BadgeFactory(period="day", tiers={"gold": 60})

    assert found(monthly) == {(ada.pk, "gold", D(2026, 8, 1), D(2026, 8, 31))}
    assert len(found(daily)) == 3


def test_threshold_on_active_days_cost_and_requests(usage, people) -> None:
    ada, ben = people[:2]
    for day in (1, 2, 3):
        usage(ada, D(2026, 8, day), input=1, requests=2, cost="0.50")
    usage(ben, D(2026, 8, 1), input=1, requests=7, cost="2.00")

    assert found(BadgeFactory(params={"metric": "active_days"}, tiers={"gold": 3})) == {
        (ada.pk, "gold", *ALL_TIME)
    }
    assert found(BadgeFactory(params={"metric": "cost"}, tiers={"gold": "1.5"})) == {
        (ada.pk, "gold", *ALL_TIME),
        (ben.pk, "gold", *ALL_TIME),
    }
    assert found(BadgeFactory(params={"metric": "requests"}, tiers={"gold": 7})) == {
        (ben.pk, "gold", *ALL_TIME)
    }


def test_ratio_needs_the_bound_and_the_minimum_volume(usage, people) -> None:
    ada, ben, cy, _ = people
    week = D(2026, 8, 10)
    usage(ada, week, input=400, cache_read=600)  # share 0.6 of 1000
    usage(ben, week, input=500, cache_read=500)  # exactly 0.5
    usage(cy, week, input=4, cache_read=6)  # 0.6, but only 10 tokens
    badge = BadgeFactory(
        kind="ratio",
        period="week",
        tiers={"gold": "0.5"},
        params={"metric": "cache_read_share", "direction": "above", "min_volume": 1000},
    )

    assert {q[:2] for q in found(badge)} == {(ada.pk, "gold"), (ben.pk, "gold")}


def test_ratio_below_rewards_cheap_output(usage, people) -> None:
    ada, ben = people[:2]
    usage(ada, D(2026, 8, 3), output=100_000, cost="1.00")  # $0.01 per 1k
    usage(ben, D(2026, 8, 3), output=100_000, cost="3.00")  # $0.03 per 1k
    badge = BadgeFactory(
        kind="ratio",
        period="month",
        params={"metric": "cost_per_1k_output", "direction": "below", "min_volume": 50_000},
        tiers={"bronze": "0.05", "silver": "0.02", "gold": "0.01"},
    )

    assert {q[:2] for q in found(badge)} == {
        (ada.pk, "bronze"),
        (ada.pk, "silver"),
        (ada.pk, "gold"),
        (ben.pk, "bronze"),
    }


def test_rank_awards_the_best_tier_of_closed_periods_only(usage, people) -> None:
    ada, ben, cy, di = people
    for person, tokens in [(ada, 50), (ben, 40), (cy, 40), (di, 10)]:
        usage(person, D(2026, 8, 11), output=tokens)  # week of Aug 10: closed
        usage(person, D(2026, 8, 18), output=tokens)  # this week: still open
    badge = BadgeFactory(
        kind="rank", period="week", params={"metric": "output"}, tiers={"bronze": 3, "gold": 1}
    )

    week = (D(2026, 8, 10), D(2026, 8, 16))
    assert found(badge) == {
        (ada.pk, "gold", *week),
        (ben.pk, "bronze", *week),
        (cy.pk, "bronze", *week),
    }  # ties share rank 2


def test_streak_finds_the_longest_run_of_consecutive_days(usage, people) -> None:
    ada, ben = people[:2]
    for day in [1, 2, 3, 4, 6, 7]:
        usage(ada, D(2026, 8, day), input=1)
    for day in [1, 3, 5]:
        usage(ben, D(2026, 8, day), input=1)
    usage(ada, D(2026, 8, 2), input=1, model="other")  # two facts on one day count once
    badge = BadgeFactory(kind="streak", params={}, tiers={"bronze": 2, "silver": 4, "gold": 5})

    qualifiers = rules.qualifiers(badge, today=TODAY)
    assert {(q.person_id, q.tier) for q in qualifiers} == {(ada.pk, "bronze"), (ada.pk, "silver")}
    assert qualifiers[0].evidence == {"streak_days": 4, "from": "2026-08-01", "to": "2026-08-04"}


def test_breadth_counts_distinct_models_or_sources(usage, people) -> None:
    ada, ben = people[:2]
    for model in ["a", "b", "c"]:
        usage(ada, D(2026, 8, 3), model=model, input=1)
    other = SourceFactory(name="cursor", provider="cursor")
    usage(ben, D(2026, 8, 3), input=1)
    usage(ben, D(2026, 8, 4), input=1, source=other)

    models = BadgeFactory(
        kind="breadth", period="month", params={"of": "models"}, tiers={"gold": 3}
    )
    sources = BadgeFactory(
        kind="breadth", period="month", params={"of": "sources"}, tiers={"gold": 2}
    )
    assert {q[:2] for q in found(models)} == {(ada.pk, "gold")}
    assert {q[:2] for q in found(sources)} == {(ben.pk, "gold")}


def test_a_product_or_an_unknown_model_is_not_a_model_of_its_own(usage, people) -> None:
    ada, ben = people[:2]
    for model in ["gpt-5", "copilot", "copilot-cli", "unknown"]:
        usage(ada, D(2026, 8, 3), model=model, input=1)
    for model in ["gpt-5", "claude-sonnet-4-5"]:
        usage(ben, D(2026, 8, 3), model=model, input=1)

    models = BadgeFactory(
        kind="breadth", period="month", params={"of": "models"}, tiers={"gold": 2}
    )
    assert {q[:2] for q in found(models)} == {(ben.pk, "gold")}


def test_first_usage_is_awarded_to_everyone_with_usage(usage, people) -> None:
    ada = people[0]  # the others have no usage
    usage(ada, D(2026, 7, 3), input=1)
    usage(ada, D(2026, 8, 3), input=1)
    badge = BadgeFactory(kind="first", params={}, tiers={"bronze": None})

    (qualifier,) = rules.qualifiers(badge, today=TODAY)
    assert (qualifier.person_id, qualifier.evidence) == (ada.pk, {"first_day": "2026-07-03"})


def test_usage_no_person_owns_or_an_excluded_source_earns_nothing(usage, people) -> None:
    UsageFactFactory(
        account=AccountFactory(person=None), source=usage.source, day=D(2026, 8, 1), input=10**9
    )
    excluded = SourceFactory(name="dup", provider="x", counts_toward_totals=False)
    usage(people[0], D(2026, 8, 1), input=10**9, source=excluded)

    assert found(BadgeFactory(tiers={"bronze": 1})) == set()


@pytest.mark.parametrize(
    ("kind", "params", "tiers", "period", "message"),
    [
        ("threshold", {"metric": "vibes"}, {"gold": 1}, "all_time", '"metric": one of'),
        (
            "ratio",
            {"metric": "cache_read_share", "direction": "above"},
            {"gold": "0.5"},
            "week",
            "min_volume",
        ),
        ("rank", {"metric": "output"}, {"gold": 1}, "all_time", "judged over: month, week"),
        ("streak", {}, {"gold": 2.5}, "all_time", "whole number"),
        ("first", {}, {"gold": None, "silver": None}, "all_time", "exactly one tier"),
        ("breadth", {"of": "models"}, {"diamond": 3}, "month", "Unknown tier(s) diamond"),
        ("threshold", {"metric": "output"}, {"gold": "lots"}, "month", "should be a number"),
    ],
)
def test_definitions_are_validated_per_kind(kind, params, tiers, period, message) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        rules.validate(kind=kind, params=params, tiers=tiers, period=period)


def test_a_person_excluded_from_ranking_earns_nothing_and_ranks_nobody_down(usage, people) -> None:
    ada, ben, cy = people[:3]
    for person, tokens in [(ada, 50), (ben, 40), (cy, 30)]:
        for day in (11, 12, 13):
            usage(person, D(2026, 8, day), output=tokens)
    set_ranking_exclusion(people=[ada], excluded=True, reason="an admin", by=None)
    week = (D(2026, 8, 10), D(2026, 8, 16))

    rank = BadgeFactory(
        kind="rank", period="week", params={"metric": "output"}, tiers={"bronze": 2, "gold": 1}
    )
    assert found(rank) == {(ben.pk, "gold", *week), (cy.pk, "bronze", *week)}
    for badge in [
        BadgeFactory(tiers={"bronze": 1}),
        BadgeFactory(kind="streak", params={}, tiers={"bronze": 2}),
        BadgeFactory(kind="first", params={}, tiers={"bronze": None}),
    ]:
        assert {q[0] for q in found(badge)} == {ben.pk, cy.pk}, badge.kind
