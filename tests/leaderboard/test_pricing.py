"""List-price estimates, one rule at a time (no database: prices are unsaved rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from leaderboard.domain.pricing import PriceBook, estimate
from leaderboard.domain.records import UsageRecord
from leaderboard.models import ModelPrice

DAY = dt.date(2026, 8, 3)
MILLION = 1_000_000


def opus(**changes) -> ModelPrice:
    """Claude Opus 4.6 as https://platform.claude.com/docs/en/about-claude/pricing lists it:
    "$5 / MTok | $6.25 / MTok | $10 / MTok | $0.50 / MTok | $25 / MTok" (input, 5m cache
    writes, 1h cache writes, cache hits, output); batch "a 50% discount"; US-only inference
    "a 1.1x multiplier on all token pricing categories"."""
    fields = {
        "model": "claude-opus-4-6",
        "effective_from": dt.date(2020, 1, 1),
        "input_per_million": Decimal(5),
        "cached_input_per_million": Decimal("0.50"),
        "cache_write_per_million": Decimal("6.25"),
        "cache_write_1h_per_million": Decimal(10),
        "output_per_million": Decimal(25),
        "batch_multiplier": Decimal("0.5"),
        "regional_multiplier": Decimal("1.1"),
    }
    return ModelPrice(**(fields | changes))


def usage(**counts) -> UsageRecord:
    return UsageRecord(day=DAY, account="u1", model="claude-opus-4-6", **counts)


def test_estimate_prices_5_minute_and_1_hour_writes_at_their_own_rates() -> None:
    mixed = usage(cache_write=3 * MILLION, cache_write_1h=MILLION)

    assert estimate(mixed, opus()) == Decimal("6.25") * 2 + Decimal(10)
    assert estimate(usage(cache_write=MILLION), opus()) == Decimal("6.25")  # all 5-minute


def test_estimate_gives_no_cost_for_1_hour_writes_without_a_rate() -> None:
    price = opus(cache_write_1h_per_million=None)

    assert estimate(usage(cache_write=MILLION, cache_write_1h=1), price) is None
    assert estimate(usage(cache_write=MILLION), price) == Decimal("6.25")


def test_estimate_halves_every_rate_for_batch() -> None:
    record = usage(
        input=MILLION, cache_read=MILLION, cache_write=2 * MILLION, cache_write_1h=MILLION,
        output=MILLION, service_tier="batch",
    )  # fmt: skip

    assert estimate(record, opus()) == (5 + Decimal("0.5") + Decimal("6.25") + 10 + 25) / 2


def test_estimate_prices_priority_and_flex_only_at_a_known_multiplier() -> None:
    record = usage(input=MILLION, output=MILLION)

    assert estimate(replace(record, service_tier="standard"), opus()) == Decimal(30)
    assert estimate(replace(record, service_tier="priority"), opus()) is None  # not offered
    assert estimate(
        replace(record, service_tier="priority"), opus(priority_multiplier=Decimal(2))
    ) == Decimal(60)
    assert estimate(
        replace(record, service_tier="flex"), opus(flex_multiplier=Decimal("0.5"))
    ) == Decimal(15)
    # a tier with no list price (Anthropic's priority_on_demand) is not priced as standard
    assert estimate(replace(record, service_tier="priority_on_demand"), opus()) is None


def test_estimate_applies_long_context_multipliers_from_the_threshold() -> None:
    """GPT-5.6: "Prompts with >272K input tokens are priced at 2x input and 1.5x output for
    the full request." (https://developers.openai.com/api/docs/models/gpt-5.6-luna)"""
    price = opus(
        long_context_threshold=200_000,
        long_context_input_multiplier=Decimal(2),
        long_context_output_multiplier=Decimal("1.5"),
    )
    record = usage(input=MILLION, cache_read=MILLION, cache_write=MILLION, output=MILLION)
    standard = 5 + Decimal("0.5") + Decimal("6.25") + 25

    assert estimate(record, price) == standard
    assert estimate(replace(record, prompt_over=200_000), price) == (
        (5 + Decimal("0.5") + Decimal("6.25")) * 2 + 25 * Decimal("1.5")
    )
    # a threshold above what the report tells (Haiku 5.5's 100k is below 200k, 300k is not)
    assert estimate(replace(record, prompt_over=200_000), opus()) == standard
    higher = opus(
        long_context_threshold=300_000,
        long_context_input_multiplier=Decimal(2),
        long_context_output_multiplier=Decimal("1.5"),
    )
    assert estimate(replace(record, prompt_over=200_000), higher) == standard


def test_estimate_applies_the_regional_multiplier_to_us_inference_only() -> None:
    record = usage(input=MILLION, cache_read=MILLION, cache_write=MILLION, output=MILLION)
    standard = 5 + Decimal("0.5") + Decimal("6.25") + 25

    assert estimate(replace(record, inference_geo="us"), opus()) == standard * Decimal("1.1")
    for geo in ["", "global", "not_available"]:
        assert estimate(replace(record, inference_geo=geo), opus()) == standard
    # an older model has no premium
    assert estimate(replace(record, inference_geo="us"), opus(regional_multiplier=None)) == (
        standard
    )


def test_estimate_stacks_batch_and_regional_multipliers() -> None:
    record = usage(input=MILLION, service_tier="batch", inference_geo="us")

    assert estimate(record, opus()) == Decimal("2.75")  # 5 x 0.5 x 1.1


def test_estimate_rounds_to_the_micro_dollar() -> None:
    assert estimate(usage(input=1), opus()) == Decimal("0.000005")
    assert estimate(usage(cache_read=1), opus()) == Decimal("0.000000")  # half a micro-dollar


def gpt(model: str, inp: str, cached: str, write: str, out: str) -> ModelPrice:
    return ModelPrice(
        model=model,
        effective_from=dt.date(2020, 1, 1),
        input_per_million=Decimal(inp),
        cached_input_per_million=Decimal(cached),
        cache_write_per_million=Decimal(write),
        output_per_million=Decimal(out),
    )


def test_estimate_bills_openai_cache_writes_from_gpt_5_6_only() -> None:
    """ "Cache writes have no additional fee on models before the GPT-5.6 family. For GPT-5.6
    models and later model families, cache writes cost 1.25x the uncached input token rate."
    (https://developers.openai.com/api/docs/guides/prompt-caching)"""
    writes = UsageRecord(day=DAY, account="u1", model="m", cache_write=MILLION)

    assert estimate(writes, gpt("gpt-5", "1.25", "0.125", "1.25", "10")) == Decimal("1.25")
    assert estimate(writes, gpt("gpt-5.6-sol", "4", "0.40", "5", "20")) == Decimal(5)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2026, 8, 3), Decimal(5)),
        (dt.date(2026, 9, 30), Decimal(5)),
        (dt.date(2026, 10, 1), Decimal(4)),  # the day of the change
        (dt.date(2027, 1, 1), Decimal(4)),
    ],
)
def test_price_book_gives_the_price_effective_on_the_day(day, rate) -> None:
    book = PriceBook(
        [
            opus(effective_from=dt.date(2026, 10, 1), input_per_million=Decimal(4)),
            opus(),
        ]
    )

    assert book.price_on("claude-opus-4-6", day).input_per_million == rate
    assert book.estimate(
        UsageRecord(day=day, account="u", model="claude-opus-4-6", input=MILLION)
    ) == (rate)


def test_price_book_prices_nothing_before_a_models_first_price() -> None:
    book = PriceBook([opus(effective_from=dt.date(2026, 8, 4))])

    assert book.price_on("claude-opus-4-6", dt.date(2026, 8, 3)) is None
    assert book.price_on("claude-opus-4-6", dt.date(2026, 8, 4)) is not None


def test_price_book_prices_dated_snapshots_as_their_model_but_not_newer_versions() -> None:
    book = PriceBook([opus(model="claude-opus-4")])

    assert book.price_on("Claude-Opus-4-20250514", DAY) is not None
    assert book.price_on("claude-opus-4-6", DAY) is None
