"""List-price estimates: a usage record's cost from the model's price effective on its day.

Pure: no database. record_usage (leaderboard.services) builds a PriceBook from every
ModelPrice row once per call and prices each record the provider did not price itself.

The rules, from the providers' price pages (README, "Where prices come from"):
- counts are disjoint; each has its rate: input, cache read, cache write (the default
  duration, Anthropic's 5 minutes) and 1-hour cache write, output;
- a service tier (batch, priority, flex) multiplies every rate; a tier the price row has no
  multiplier for is not priced (None), never priced as standard;
- a record whose prompts were all longer than the row's long-context threshold pays the
  long-context multipliers: the input one on input, cache reads and cache writes, the output
  one on output;
- regional inference (Anthropic's inference_geo "us") multiplies every rate;
- multipliers stack ("These multipliers stack with other pricing modifiers, including the
  Batch API discount and data residency", https://platform.claude.com/docs/en/about-claude/pricing).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from leaderboard.domain.records import UsageRecord
from leaderboard.models import ModelPrice

MICRODOLLAR = Decimal("0.000001")
MILLION = Decimal(1_000_000)

STANDARD, BATCH, PRIORITY, FLEX = "standard", "batch", "priority", "flex"
TIER_MULTIPLIER = {
    BATCH: "batch_multiplier",
    PRIORITY: "priority_multiplier",
    FLEX: "flex_multiplier",
}
# inference_geo values that carry no regional premium ("" = not reported)
NOT_REGIONAL = {"", "global", "not_available"}

# Dated snapshots share their model's price: gpt-5-2025-08-07, claude-sonnet-4-5-20250929.
SNAPSHOT_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


def estimate(record: UsageRecord, price: ModelPrice) -> Decimal | None:
    """The record's cost at the price row's rates, in USD to the micro-dollar; None when the
    row cannot price it (a tier or 1-hour writes the row has no rate for)."""
    tier = record.service_tier or STANDARD
    multiplier = Decimal(1)
    if tier != STANDARD:
        field = TIER_MULTIPLIER.get(tier)
        if field is None or (tier_multiplier := getattr(price, field)) is None:
            return None
        multiplier *= tier_multiplier
    if record.inference_geo not in NOT_REGIONAL and price.regional_multiplier is not None:
        multiplier *= price.regional_multiplier
    write_1h = min(record.cache_write_1h, record.cache_write)
    if write_1h and price.cache_write_1h_per_million is None:
        return None
    input_side = (
        record.input * price.input_per_million
        + record.cache_read * price.cached_input_per_million
        + (record.cache_write - write_1h) * price.cache_write_per_million
        + write_1h * (price.cache_write_1h_per_million or 0)
    )
    output_side = record.output * price.output_per_million
    if (
        price.long_context_threshold is not None
        and record.prompt_over
        and record.prompt_over >= price.long_context_threshold
    ):
        input_side *= price.long_context_input_multiplier or 1
        output_side *= price.long_context_output_multiplier or 1
    return ((input_side + output_side) * multiplier / MILLION).quantize(MICRODOLLAR)


class PriceBook:
    """Every model's prices in date order, to find the one effective on a day."""

    def __init__(self, prices: Iterable[ModelPrice]) -> None:
        by_model: dict[str, list[ModelPrice]] = defaultdict(list)
        for price in prices:
            by_model[price.model.strip().lower()].append(price)
        self._rows = {
            m: sorted(rows, key=lambda p: p.effective_from) for m, rows in by_model.items()
        }
        self._days = {m: [p.effective_from for p in rows] for m, rows in self._rows.items()}

    def price_on(self, model: str, day: dt.date) -> ModelPrice | None:
        """The price of the model (or of the model a dated snapshot belongs to) effective on
        day: the latest row from that day or before. None before its first price."""
        name = model.strip().lower()
        if name not in self._rows:
            name = SNAPSHOT_SUFFIX.sub("", name)
            if name not in self._rows:
                return None
        at = bisect.bisect_right(self._days[name], day)
        return self._rows[name][at - 1] if at else None

    def estimate(self, record: UsageRecord) -> Decimal | None:
        """The record's cost at the price effective on its day; None if not priced."""
        price = self.price_on(record.model, record.day)
        return None if price is None else estimate(record, price)


# Where a shown cost comes from (README, "Cost"). A sum over facts is billed only if every
# fact's cost was reported, estimated if any was estimated, partial if some facts have no
# cost at all (the sum is then a floor), and not priced if none has one: never a zero.
BILLED, ESTIMATED, PARTIAL, NOT_PRICED = "billed", "estimated", "partial", "not priced"


def cost_basis(*, cost: Decimal | None, estimated: bool, unpriced: int = 0) -> str:
    """Where a cost (a fact's or a sum of facts') comes from."""
    if cost is None:
        return NOT_PRICED
    if unpriced:
        return PARTIAL
    return ESTIMATED if estimated else BILLED
