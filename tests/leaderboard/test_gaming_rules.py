"""Each gaming rule kind (leaderboard.domain.gaming): what it flags, what it leaves alone,
its parameters' checks and its words. Pure: no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest

from leaderboard.domain import gaming
from leaderboard.domain.gaming import Kind, Rule, Usage

END = dt.date(2026, 9, 30)
MODEL = "claude-sonnet-4-5"


def weekdays(count: int, *, end: dt.date = END) -> list[dt.date]:
    days, day = [], end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return sorted(days)


def normal(person: int, day: dt.date, *, scale: int = 3_000_000, model: str = MODEL) -> Usage:
    """An ordinary day: tokens varying by a factor of four, a tenth of them output, a price
    in proportion, requests of 20k to 90k tokens."""
    rng = random.Random(f"{person}:{day}:{model}")
    tokens = int(scale * rng.uniform(0.5, 2.0))
    output = tokens // 10
    return Usage(
        person=person,
        day=day,
        model=model,
        input_side=tokens - output,
        output=output,
        requests=max(1, tokens // rng.randint(20_000, 90_000)),
        cost=Decimal(tokens) * Decimal("0.000003"),
    )


def company(people: int = 30, days: int = 40) -> list[Usage]:
    return [normal(p, day) for p in range(people) for day in weekdays(days)]


def run(kind: Kind, rows: list[Usage], **params) -> set[tuple[int, dt.date]]:
    hits = gaming.evaluate([Rule(1, kind, params)], rows, start=END - dt.timedelta(60), end=END)
    return {(hit.person, hit.day) for hit in hits}


def replaced(rows: list[Usage], person: int, day: dt.date, **values) -> list[Usage]:
    return [
        dataclasses.replace(r, **values) if (r.person, r.day) == (person, day) else r for r in rows
    ]


# spike


def test_a_spike_far_above_the_persons_baseline_and_the_company_is_flagged() -> None:
    rows = replaced(company(), 7, END, input_side=900_000_000, output=90_000_000)
    hits = gaming.evaluate([Rule(1, Kind.SPIKE, {})], rows, start=END, end=END)
    assert [(h.person, h.day) for h in hits] == [(7, END)]
    assert "× your median day" in hits[0].reason and hits[0].evidence["tokens"] == 990_000_000


def test_ordinary_variation_and_a_heavy_users_usual_day_are_no_spike() -> None:
    rows = company() + [normal(99, day, scale=300_000_000) for day in weekdays(40)]
    assert run(Kind.SPIKE, rows) == set()


def test_a_light_users_jump_that_stays_below_the_companys_percentile_is_no_spike() -> None:
    # 30x their own day, but an ordinary day for the company's heavy users
    rows = company() + [normal(99, day, scale=100_000) for day in weekdays(40)]
    heavy = [normal(50 + p, day, scale=20_000_000) for p in range(5) for day in weekdays(40)]
    rows = replaced(rows + heavy, 99, END, input_side=2_700_000, output=300_000)
    assert run(Kind.SPIKE, rows) == set()
    assert run(Kind.SPIKE, rows, company_percentile=10.0) == {(99, END)}


def test_a_spike_needs_a_baseline_of_earlier_days() -> None:
    rows = [normal(1, day) for day in weekdays(5)]
    rows = replaced(rows, 1, END, input_side=900_000_000)
    assert run(Kind.SPIKE, rows) == set()
    assert run(Kind.SPIKE, rows, min_history=3, company_percentile=1.0) == {(1, END)}


# low output


def test_a_large_volume_with_almost_no_output_is_flagged() -> None:
    rows = replaced(company(), 3, END, input_side=50_000_000, output=10_000)
    assert run(Kind.LOW_OUTPUT, rows) == {(3, END)}


def test_low_output_leaves_small_days_and_ordinary_ratios_alone() -> None:
    rows = replaced(company(), 3, END, input_side=5_000_000, output=100)  # small
    rows = replaced(rows, 4, END, input_side=80_000_000, output=2_000_000)  # 2.5%: fine
    assert run(Kind.LOW_OUTPUT, rows) == set()


# loop


def test_near_identical_daily_totals_repeated_are_a_loop_every_day_of_it() -> None:
    loop_days = weekdays(6)
    rows = company()
    for day in loop_days:
        rows = replaced(rows, 5, day, input_side=9_000_000 + day.day % 2, output=876_543)
    assert run(Kind.LOOP, rows) == {(5, day) for day in loop_days}


def test_the_same_tokens_per_request_with_varying_requests_is_a_loop() -> None:
    loop_days = weekdays(5)
    rows = company()
    for i, day in enumerate(loop_days):
        requests = 100 + 37 * i
        rows = replaced(
            rows, 6, day, input_side=requests * 30_000, output=requests * 1_337, requests=requests
        )
    assert run(Kind.LOOP, rows) == {(6, day) for day in loop_days}


def test_repeats_too_few_too_far_apart_or_too_small_are_no_loop() -> None:
    rows = company()
    for day in weekdays(4):  # four days: one short
        rows = replaced(rows, 5, day, input_side=9_000_000, output=876_543)
    spread = weekdays(60)[::10]  # six days, but over two months
    for day in spread:
        rows = replaced(rows, 6, day, input_side=9_000_000, output=876_543)
    for day in weekdays(8):  # tiny: a model touched once a day
        rows = replaced(rows, 7, day, input_side=500, output=50)
    assert run(Kind.LOOP, rows) == set()


# cost outlier


def test_a_cost_per_output_far_above_the_companys_on_that_model_is_flagged() -> None:
    rows = company()
    rows = replaced(rows, 8, END, cost=Decimal(500))  # ~50x a usual day's price
    assert run(Kind.COST_OUTLIER, rows) == {(8, END)}


def test_cost_outliers_compare_within_a_model_and_leave_small_sums_alone() -> None:
    pricey = [normal(p, day, model="claude-opus-4-6") for p in range(30) for day in weekdays(5)]
    pricey = [dataclasses.replace(r, cost=r.cost * 5) for r in pricey]  # all of it
    rows = replaced(company() + pricey, 9, END, cost=Decimal("19.00"), output=10)  # under $20
    assert run(Kind.COST_OUTLIER, rows) == set()


# parameters and words


@pytest.mark.parametrize(
    ("kind", "params", "problem"),
    [
        ("spike", {"min_z": -1}, "min_z must be a positive number"),
        ("spike", {"company_percentile": 101}, "at most 100"),
        ("spike", {"baseline_days": 2.5}, "whole number"),
        ("loop", {"tolerance": 1.5}, "tolerance must be below 1"),
        ("loop", {"min_days": 1}, "at least 2"),
        ("low_output", {"min_volume": 1}, "unknown parameter(s) min_volume"),
        ("low_output", {"max_output_per_input": "0.1"}, "must be a positive number"),
        ("burner", {}, "unknown kind 'burner'"),
    ],
)
def test_a_rules_parameters_are_checked_against_its_kind(kind, params, problem) -> None:
    with pytest.raises(gaming.RuleError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        gaming.validate(kind, params)


def test_each_rule_says_in_words_what_it_flags_with_its_thresholds() -> None:
    assert "at least 8× the person's median day" in gaming.describe("spike", {})
    assert "at least 50,000,000 input-side" in gaming.describe(
        "low_output", {"min_input_side": 50_000_000}
    )
    assert "within 0.2% of each other" in gaming.describe("loop", {})
    assert "10× or more the company's median cost per output" in gaming.describe("cost_outlier", {})
