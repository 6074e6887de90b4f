"""What the numbers mean: every metric boards and badges use, defined once, as SQL aggregates
over counted usage facts (reached through `prefix`, e.g. "accounts__usage__" from Person)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Aggregate, Count, F, IntegerField, Max, Q, Sum
from django.db.models.functions import Cast

from leaderboard.models import total_tokens

AGGREGATES = {
    "total_tokens": "Total tokens",
    "input_side": "Input-side tokens (input + cache reads + cache writes)",
    "input": "Input tokens (no cache)",
    "output": "Output tokens",
    "cache_read": "Cache-read tokens",
    "cache_write": "Cache-write tokens",
    "cost": "Cost (USD)",
    "requests": "Requests",
    "active_days": "Active days",
    "models": "Distinct models",
    "sources": "Distinct sources",
}


@dataclass(frozen=True)
class Ratio:
    label: str
    numerator: str
    denominator: str
    scale: int = 1  # e.g. 1000 for "per 1k output tokens"
    volume: str = ""  # the aggregate a minimum volume is measured in


RATIOS = {
    "cache_read_share": Ratio(
        "Cache-read share of input-side tokens", "cache_read", "input_side", volume="input_side"
    ),
    "output_per_input": Ratio(
        "Output tokens per input-side token", "output", "input_side", volume="input_side"
    ),
    "cost_per_1k_output": Ratio(
        "Cost (USD) per 1,000 output tokens", "cost", "output", scale=1000, volume="output"
    ),
}


def counted(prefix: str = "") -> Q:
    """Facts that count: owned by a person, from a source included in totals. (Facts
    reached from a person through a prefix are owned by that person already.)"""
    included = Q(**{f"{prefix}source__counts_toward_totals": True})
    return included if prefix else included & Q(account__person__isnull=False)


def aggregate(name: str, *, prefix: str = "", filter: Q | None = None) -> Aggregate:
    """The SQL aggregate for a metric over facts reached through prefix."""
    p = prefix
    if name == "total_tokens":
        return Sum(total_tokens(p), filter=filter, default=0)
    if name == "input_side":
        return Sum(
            F(f"{p}input") + F(f"{p}cache_read") + F(f"{p}cache_write"), filter=filter, default=0
        )
    if name == "cost":
        return Sum(f"{p}cost", filter=filter)
    if name == "active_days":
        return Count(f"{p}day", filter=filter, distinct=True)
    if name == "models":
        return Count(f"{p}model", filter=filter, distinct=True)
    if name == "sources":
        return Count(f"{p}source", filter=filter, distinct=True)
    if name in {"input", "output", "cache_read", "cache_write", "requests"}:
        return Sum(f"{p}{name}", filter=filter, default=0)
    raise ValueError(f"unknown metric {name!r}")


# What a sum of facts' costs is made of (pricing.cost_basis): any estimate, and how many
# facts have no cost.
COST_PARTS = {
    "estimated": Max(Cast("cost_estimated", output_field=IntegerField())),
    "unpriced": Count("pk", filter=Q(cost__isnull=True)),
}


def ratio_value(name: str, values: Mapping[str, int | Decimal | None]) -> Decimal | None:
    """A ratio from its parts, exactly; None when the denominator is zero or unknown."""
    ratio = RATIOS[name]
    numerator, denominator = values.get(ratio.numerator), values.get(ratio.denominator)
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) * ratio.scale / Decimal(denominator)
