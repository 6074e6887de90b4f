"""What the numbers mean: every metric boards and badges use, defined once (METRICS), as an
ORM aggregate over counted usage facts and as SQL over person-period rows (usage months, or
badges' weekly rollup); the ratios built from them; and which facts count."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    Expression,
    F,
    Func,
    IntegerField,
    Max,
    Q,
    Sum,
)
from django.db.models.functions import Cast

if TYPE_CHECKING:
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType, _ParamT

from leaderboard.domain.records import NOT_MODELS
from leaderboard.models import total_tokens


@dataclass(frozen=True)
class Metric:
    """One number boards and badges measure, in each form they read it.

    over_facts: the ORM aggregate over counted usage facts (reached through a prefix, e.g.
    "accounts__usage__" from Person): Django compiles it to SQL over the facts.
    over_periods: the SQL aggregate over person-period rows, one per person and calendar month
    (from the usage months the database keeps) or week (badges' rollup of the facts), with the
    columns of PERIOD_COLUMNS; None where a period row does not keep what it needs."""

    label: str
    over_facts: Callable[[str, Q | None], Expression]
    over_periods: str | None


def _sum(column: str) -> Callable[[str, Q | None], Aggregate]:
    return lambda p, where: Sum(f"{p}{column}", filter=where, default=0)


def _distinct(column: str) -> Callable[[str, Q | None], Aggregate]:
    return lambda p, where: Count(f"{p}{column}", filter=where, distinct=True)


METRICS: dict[str, Metric] = {
    "total_tokens": Metric(
        "Total tokens",
        lambda p, where: Sum(total_tokens(p), filter=where, default=0),
        "COALESCE(SUM(input + cache_read + cache_write + output), 0)",
    ),
    "input_side": Metric(
        "Input-side tokens (input + cache reads + cache writes)",
        lambda p, where: Sum(
            F(f"{p}input") + F(f"{p}cache_read") + F(f"{p}cache_write"), filter=where, default=0
        ),
        "COALESCE(SUM(input + cache_read + cache_write), 0)",
    ),
    "input": Metric("Input tokens (no cache)", _sum("input"), "COALESCE(SUM(input), 0)"),
    "output": Metric("Output tokens", _sum("output"), "COALESCE(SUM(output), 0)"),
    "cache_read": Metric("Cache-read tokens", _sum("cache_read"), "COALESCE(SUM(cache_read), 0)"),
    "cache_write": Metric(
        "Cache-write tokens", _sum("cache_write"), "COALESCE(SUM(cache_write), 0)"
    ),
    # Unpriced usage has no cost: a sum over none of it is NULL ("not priced"), never 0.
    "cost": Metric("Cost (USD)", lambda p, where: Sum(f"{p}cost", filter=where), "SUM(cost)"),
    "requests": Metric("Requests", _sum("requests"), "COALESCE(SUM(requests), 0)"),
    # A period row keeps its active days as a bitmask (bit d-1: day d of the month or week).
    "active_days": Metric("Active days", _distinct("day"), "SUM(bit_count(days::bit(64)))"),
    "models": Metric(
        "Distinct models",
        lambda p, where: Count(
            f"{p}model",
            filter=~Q(**{f"{p}model__in": NOT_MODELS}) & (where or Q()),
            distinct=True,
        ),
        None,
    ),
    # One period row per person counts its distinct sources: summed, it is right only by month.
    "sources": Metric("Distinct sources", _distinct("source"), "SUM(sources)"),
}


# The score (issue 20 §3): useful, efficient use, never spending alone. Its parts are sums
# over the period; the formula is one SQL text over them, which both forms of the metric
# fill in (the parts' SQL over periods, or their aggregates over facts), so the two agree.
# Numeric throughout on PostgreSQL (x * 1.0 makes a bigint numeric; LN of a numeric is
# numeric), rounded to 2 places at the end; SQLite (make run's demo) computes in floats.
SCORE_PARTS = ("output", "cost", "active_days", "cache_read", "input_side")
SCORE_DAILY_BUDGET = 25  # USD per active day: past it, points taper logarithmically
SCORE_REFERENCE_OUTPUT_PER_USD = 10_000  # output tokens per dollar at full efficiency
SCORE_POINTS_PER_DAY = 50  # each active day counts like 50,000 output tokens
SCORE_CACHE_MIN_VOLUME = 1_000_000  # input-side tokens before cache reads multiply
_B, _R = SCORE_DAILY_BUDGET, SCORE_REFERENCE_OUTPUT_PER_USD
SCORE_SQL = (
    "ROUND(("
    # output in thousands, tapered: spend past the budget B counts as B * (1 + ln(cost / B))
    f"{{output}} * 1.0 / 1000 * CASE WHEN {{cost}} > {_B} * {{active_days}} "
    f"THEN {_B} * {{active_days}} * (1 + LN({{cost}} / ({_B} * {{active_days}}))) / {{cost}} "
    "ELSE 1 END"
    f" + {SCORE_POINTS_PER_DAY} * {{active_days}})"
    # output per dollar below the reference multiplies in proportion (a burner's is ~0)
    f" * CASE WHEN {{cost}} > 0 AND {{output}} * 1.0 / {{cost}} < {_R} "
    f"THEN {{output}} * 1.0 / {{cost}} / {_R} ELSE 1 END"
    # cache-read share adds up to x2, past a minimum volume
    f" * CASE WHEN {{input_side}} >= {SCORE_CACHE_MIN_VOLUME} "
    "THEN 1 + {cache_read} * 1.0 / {input_side} ELSE 1 END, 2)"
)
if TYPE_CHECKING:  # the stubs' generics, which do not exist at run time
    ScoreField = DecimalField[Decimal | int, Decimal]
    ScoreFunc = Func[ScoreField]
else:
    ScoreFunc = Func
SCORE_FIELD: ScoreField = DecimalField(max_digits=40, decimal_places=12)


class Formula(ScoreFunc):
    """SQL text with named places ({name}), each filled with an aggregate compiled in
    place: a number computed from sums over the facts, grouped as the query groups."""

    def __init__(self, text: str, parts: Mapping[str, Expression]) -> None:
        self.text, self.names = text, list(parts)
        super().__init__(*parts.values(), output_field=SCORE_FIELD)

    def as_sql(  # type: ignore[override]  # the template is our own, not Func's
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> _AsSqlType:
        compiled = dict(
            zip(
                self.names,
                (compiler.compile(e) for e in self.get_source_expressions()),
                strict=True,
            )
        )
        sql: list[str] = []
        params: list[_ParamT] = []
        # each place's params where it occurs: a part may occur more than once
        for literal, name, _, _ in string.Formatter().parse(self.text):
            sql.append(literal)
            if name:
                part, part_params = compiled[name]
                sql.append(f"({part})")
                params.extend(part_params)
        return "".join(sql), tuple(params)


def _score(prefix: str, where: Q | None) -> Expression:
    return Formula(SCORE_SQL, {p: METRICS[p].over_facts(prefix, where) for p in SCORE_PARTS})


METRICS["score"] = Metric(
    "Score (points)",
    _score,
    SCORE_SQL.format(**{p: f"({METRICS[p].over_periods})" for p in SCORE_PARTS}),
)
AGGREGATES = {name: metric.label for name, metric in METRICS.items()}
OVER_PERIODS = {name: m.over_periods for name, m in METRICS.items() if m.over_periods}

# The columns of a person-period row, summed from the usage months (m) of one person and
# month: what every metric's over_periods reads (cost only where some of it was priced).
PERIOD_COLUMNS = (
    "SUM(m.input) AS input, SUM(m.cache_read) AS cache_read, "
    "SUM(m.cache_write) AS cache_write, SUM(m.output) AS output, "
    "SUM(m.requests) AS requests, SUM(m.cost) FILTER (WHERE m.priced > 0) AS cost, "
    "bit_or(m.days) AS days"
)


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
    """Facts that count: owned by a person, from a source included in totals, not held for
    gaming review. (Facts reached from a person through a prefix are owned by that person
    already.)"""
    included = Q(**{f"{prefix}source__counts_toward_totals": True, f"{prefix}held": False})
    return included if prefix else included & Q(account__person__isnull=False)


def expression(name: str, *, prefix: str = "", filter: Q | None = None) -> Expression:
    """The SQL for a metric over facts reached through prefix: an aggregate, or a formula
    of aggregates (the score)."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}")
    return METRICS[name].over_facts(prefix, filter)


def aggregate(name: str, *, prefix: str = "", filter: Q | None = None) -> Aggregate:
    """The SQL aggregate for a metric over facts reached through prefix (a plain sum or
    count, which may be grouped further)."""
    found = expression(name, prefix=prefix, filter=filter)
    if not isinstance(found, Aggregate):
        raise ValueError(f"{name!r} is a formula of aggregates, not an aggregate")
    return found


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
