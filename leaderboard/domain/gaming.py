"""Gaming rules, without a database: what each kind of rule reads, its parameters with their
defaults, its description in words, and the evaluation over daily usage rows.

A rule flags a person-day. Its input is one row per person, day and model (the counted
usage of every account and source of that person, held or not: a hold must not hide the
baseline a later day is judged against), read by leaderboard.db.review.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from leaderboard.domain.json_values import JSON


class Kind(StrEnum):
    SPIKE = "spike"
    LOW_OUTPUT = "low_output"
    LOOP = "loop"
    COST_OUTLIER = "cost_outlier"


# Each kind's parameters and their defaults (a rule's params override them one by one).
DEFAULTS: dict[Kind, dict[str, int | float]] = {
    Kind.SPIKE: {
        "baseline_days": 28,  # the person's active days before the day that make the baseline
        "min_history": 7,  # fewer active days before it: no baseline, no flag
        "min_z": 10.0,  # robust z-score: (day - median) / (1.4826 * MAD)
        "min_ratio": 8.0,  # and at least this many times the person's median day
        "company_percentile": 99.0,  # and above this percentile of everyone's days
    },
    Kind.LOW_OUTPUT: {
        "min_input_side": 20_000_000,  # input + cache reads + cache writes in the day
        "max_output_per_input": 0.002,  # output tokens per input-side token
    },
    Kind.LOOP: {
        "min_days": 5,  # days of one model with near-identical usage
        "window_days": 28,  # within this many days
        "tolerance": 0.002,  # relative: within 0.2% of each other
        "min_tokens": 1_000_000,  # ignore days smaller than this (a model touched once)
    },
    Kind.COST_OUTLIER: {
        "min_cost": 20.0,  # USD in the day on that model
        "factor": 10.0,  # times the company's median cost per output token on that model
        "min_days": 20,  # person-days the company needs on the model to have a median
    },
}

LABELS = {
    Kind.SPIKE: "Spike",
    Kind.LOW_OUTPUT: "Low output",
    Kind.LOOP: "Loop",
    Kind.COST_OUTLIER: "Cost outlier",
}


class RuleError(ValueError):
    """A rule's parameters are not what its kind reads."""


def validate(kind: str, params: Mapping[str, JSON]) -> dict[str, int | float]:
    """The rule's parameters, defaults filled in; RuleError if one is unknown or not a
    positive number (percentiles at most 100, tolerances below 1)."""
    try:
        defaults = DEFAULTS[Kind(kind)]
    except ValueError:
        raise RuleError(f"unknown kind {kind!r}; use one of {', '.join(Kind)}") from None
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise RuleError(
            f"unknown parameter(s) {', '.join(unknown)}; {kind} reads {', '.join(defaults)}"
        )
    values = dict(defaults)
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise RuleError(f"{name} must be a positive number")
        if isinstance(defaults[name], int) and not float(value).is_integer():
            raise RuleError(f"{name} must be a whole number")
        values[name] = type(defaults[name])(value)
    if values.get("company_percentile", 0) > 100:
        raise RuleError("company_percentile is at most 100")
    for name in ("tolerance", "max_output_per_input"):
        if values.get(name, 0) >= 1:
            raise RuleError(f"{name} must be below 1")
    if values.get("min_days", 2) < 2 and kind == Kind.LOOP:
        raise RuleError("a loop needs min_days of at least 2")
    return values


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def describe(kind: str, params: Mapping[str, JSON]) -> str:
    """The rule in words, with its thresholds (the /numbers/ page and the admin show it)."""
    p = validate(kind, params)
    if kind == Kind.SPIKE:
        return (
            f"A day's total tokens at least {_n(p['min_ratio'])}× the person's median day "
            f"over their last {_n(p['baseline_days'])} active days, with a robust z-score "
            f"(distance from that median in scaled median absolute deviations) of at least "
            f"{_n(p['min_z'])}, and above the {_n(p['company_percentile'])}th percentile of "
            f"everyone's days. Needs {_n(p['min_history'])} earlier active days."
        )
    if kind == Kind.LOW_OUTPUT:
        return (
            f"A day with at least {_n(p['min_input_side'])} input-side tokens (input, cache "
            f"reads and writes) but at most {_n(p['max_output_per_input'])} output tokens per "
            "input-side token: a lot read, almost nothing written."
        )
    if kind == Kind.LOOP:
        return (
            f"At least {_n(p['min_days'])} days within {_n(p['window_days'])} days on which "
            f"one model's daily tokens, or its tokens per request, are within "
            f"{p['tolerance'] * 100:g}% of each other (days under {_n(p['min_tokens'])} "
            "tokens aside): the same work repeated by a script."
        )
    return (
        f"A day costing at least ${_n(p['min_cost'])} on a model at {_n(p['factor'])}× or "
        "more the company's median cost per output token on that model (over the people-days "
        f"checked, when there are at least {_n(p['min_days'])} of them)."
    )


@dataclass(frozen=True, slots=True)
class Usage:
    """One person's counted usage of one model on one day."""

    person: int
    day: dt.date
    model: str
    input_side: int
    output: int
    requests: int
    cost: Decimal | None

    @property
    def tokens(self) -> int:
        return self.input_side + self.output


@dataclass(frozen=True)
class Rule:
    id: int
    kind: str
    params: Mapping[str, JSON]


@dataclass(frozen=True)
class Hit:
    """A rule's finding: this person-day, why in words, and the numbers behind it."""

    rule: int
    person: int
    day: dt.date
    reason: str
    evidence: dict[str, JSON] = field(default_factory=dict)


@dataclass(slots=True)
class _Day:
    input_side: int = 0
    output: int = 0

    @property
    def tokens(self) -> int:
        return self.input_side + self.output


def _days(rows: Iterable[Usage]) -> dict[int, dict[dt.date, _Day]]:
    people: dict[int, dict[dt.date, _Day]] = defaultdict(dict)
    for row in rows:
        day = people[row.person].setdefault(row.day, _Day())
        day.input_side += row.input_side
        day.output += row.output
    return people


def _percentile(values: list[int], percent: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * percent / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def lookback(rules: Iterable[Rule]) -> int:
    """How many days before a window the rules read: a spike's baseline of active days (twice
    as many calendar days, for people with quiet days), a loop's window."""
    days = 0
    for rule in rules:
        p = validate(rule.kind, rule.params)
        days = max(days, 2 * int(p.get("baseline_days", 0)), int(p.get("window_days", 0)))
    return days


def evaluate(
    rules: Iterable[Rule], rows: list[Usage], *, start: dt.date, end: dt.date
) -> list[Hit]:
    """Every rule's hits on person-days in [start, end] (a loop's on every day of it, back to
    its window before start); rows cover the days before start the rules look back on."""
    hits: list[Hit] = []
    days = _days(rows)
    for rule in rules:
        params = validate(rule.kind, rule.params)
        first = start
        if rule.kind == Kind.SPIKE:
            found = _spikes(rule.id, params, days, start)
        elif rule.kind == Kind.LOW_OUTPUT:
            found = _low_output(rule.id, params, days)
        elif rule.kind == Kind.LOOP:
            found = _loops(rule.id, params, rows)
            first = start - dt.timedelta(days=int(params["window_days"]))
        else:
            found = _cost_outliers(rule.id, params, rows)
        hits += [hit for hit in found if first <= hit.day <= end]
    return hits


def _spikes(
    rule: int, p: Mapping[str, float], people: dict[int, dict[dt.date, _Day]], start: dt.date
) -> list[Hit]:
    everyone = [d.tokens for days in people.values() for d in days.values()]
    floor = _percentile(everyone, p["company_percentile"])
    hits = []
    for person, days in people.items():
        ordered = sorted(days)
        for i, day in enumerate(ordered):
            value = days[day].tokens
            if day < start or value <= floor:  # the look back is the baseline only
                continue
            history = [days[d].tokens for d in ordered[max(0, i - int(p["baseline_days"])) : i]]
            if len(history) < p["min_history"]:
                continue
            median = statistics.median(history)
            mad = statistics.median(abs(v - median) for v in history)
            # A flat baseline has no spread: 5% of the median stands in for it.
            spread = 1.4826 * max(mad, 0.05 * median, 1.0)
            z = (value - median) / spread
            if z >= p["min_z"] and value >= p["min_ratio"] * median:
                hits.append(
                    Hit(
                        rule,
                        person,
                        day,
                        f"{value:,} tokens, {value / max(median, 1):,.0f}× your median day "
                        f"({median:,.0f}) over your previous {len(history)} active days "
                        f"(robust z-score {z:,.0f}).",
                        {
                            "tokens": value,
                            "median": float(median),
                            "mad": float(mad),
                            "z": round(z, 1),
                            "company_floor": round(floor),
                            "baseline_days": len(history),
                        },
                    )
                )
    return hits


def _low_output(
    rule: int, p: Mapping[str, float], people: dict[int, dict[dt.date, _Day]]
) -> list[Hit]:
    hits = []
    for person, days in people.items():
        for day, usage in days.items():
            if usage.input_side < p["min_input_side"]:
                continue
            ratio = usage.output / usage.input_side
            if ratio <= p["max_output_per_input"]:
                hits.append(
                    Hit(
                        rule,
                        person,
                        day,
                        f"{usage.input_side:,} input-side tokens but {usage.output:,} output "
                        f"({ratio:.2g} output per input-side token).",
                        {
                            "input_side": usage.input_side,
                            "output": usage.output,
                            "output_per_input": round(ratio, 6),
                        },
                    )
                )
    return hits


def _clusters(
    series: list[tuple[dt.date, float]], p: Mapping[str, float]
) -> list[list[tuple[dt.date, float]]]:
    """Runs of days whose values are within tolerance of the run's smallest, and that fall
    within window_days of each other, with at least min_days days."""
    found = []
    ordered = sorted(series, key=lambda item: item[1])
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1][1] <= ordered[i][1] * (1 + p["tolerance"]):
            j += 1
        group = sorted(ordered[i : j + 1])
        # the largest set of these days inside one window
        best: list[tuple[dt.date, float]] = []
        first = 0
        for last in range(len(group)):
            while (group[last][0] - group[first][0]).days >= p["window_days"]:
                first += 1
            if last - first + 1 > len(best):
                best = group[first : last + 1]
        if len(best) >= p["min_days"]:
            found.append(best)
            i = j + 1
        else:
            i += 1
    return found


def _loops(rule: int, p: Mapping[str, float], rows: list[Usage]) -> list[Hit]:
    series: dict[tuple[int, str], list[Usage]] = defaultdict(list)
    for row in rows:
        if row.tokens >= p["min_tokens"]:
            series[(row.person, row.model)].append(row)
    hits: dict[tuple[int, dt.date], Hit] = {}
    for (person, model), usage in series.items():
        if len(usage) < p["min_days"]:
            continue
        for what, values in (
            ("tokens", [(u.day, float(u.tokens)) for u in usage]),
            (
                "tokens per request",
                [(u.day, u.tokens / u.requests) for u in usage if u.requests > 0],
            ),
        ):
            for cluster in _clusters(values, p):
                low, high = cluster[0][1], max(v for _, v in cluster)
                for day, value in cluster:
                    hits.setdefault(
                        (person, day),
                        Hit(
                            rule,
                            person,
                            day,
                            f"{model}: {value:,.0f} {what}, within {p['tolerance'] * 100:g}% "
                            f"of {len(cluster)} days from {cluster[0][0]} to {cluster[-1][0]}.",
                            {
                                "model": model,
                                "measure": what,
                                "value": round(value, 1),
                                "days": [d.isoformat() for d, _ in cluster],
                                "low": round(low, 1),
                                "high": round(high, 1),
                            },
                        ),
                    )
    return list(hits.values())


def _cost_outliers(rule: int, p: Mapping[str, float], rows: list[Usage]) -> list[Hit]:
    per_model: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.cost is not None and row.cost > 0:
            per_model[row.model].append(float(row.cost) / max(row.output, 1))
    medians = {
        model: statistics.median(values)
        for model, values in per_model.items()
        if len(values) >= p["min_days"]
    }
    hits: dict[tuple[int, dt.date], Hit] = {}
    for row in rows:
        median = medians.get(row.model)
        if median is None or row.cost is None or row.cost < Decimal(str(p["min_cost"])):
            continue
        per_output = float(row.cost) / max(row.output, 1)
        if per_output >= p["factor"] * median:
            hits.setdefault(
                (row.person, row.day),
                Hit(
                    rule,
                    row.person,
                    row.day,
                    f"{row.model}: ${row.cost:,.2f} for {row.output:,} output tokens, "
                    f"{per_output / median:,.0f}× the company's median cost per output token "
                    "on that model.",
                    {
                        "model": row.model,
                        "cost": str(row.cost),
                        "output": row.output,
                        "cost_per_1k_output": round(per_output * 1000, 6),
                        "company_median_per_1k_output": round(median * 1000, 6),
                    },
                ),
            )
    return list(hits.values())
