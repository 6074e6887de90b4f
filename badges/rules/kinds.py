"""The kinds of badge rule: the periods each is judged over, the parameters it needs, and
validate(), which the admin's form runs on a definition before it is saved."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from leaderboard.db import metrics
from leaderboard.domain.json_values import JSON

from ..models import TIERS, Badge

K, P = Badge.Kind, Badge.Period
# The efficiency floor a volume badge may carry (rules.queries reads it).
FLOOR = "min_output_per_input"
THRESHOLD_METRICS = ["total_tokens", "output", "cache_read", "cost", "requests", "active_days"]
ALLOWED_PERIODS: dict[str, set[str]] = {
    K.RANK: {P.WEEK, P.MONTH},
    K.STREAK: {P.ALL_TIME, P.ROLLING_30, P.ROLLING_90},
    K.FIRST: {P.ALL_TIME},
}


def _number(value: object, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what} should be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValidationError(f"{what} should be a number of 0 or more, got {value!r}")
    return number


def validate(*, kind: str, params: JSON, tiers: JSON, period: str) -> None:
    """Check a badge definition; raise ValidationError naming the field and the fix."""
    errors: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not isinstance(params, dict):
        raise ValidationError({"params": "Parameters should be a JSON object."})
    if not isinstance(tiers, dict) or not tiers:
        raise ValidationError({"tiers": 'Tiers should be a JSON object such as {"gold": 10}.'})
    unknown = set(tiers) - set(TIERS)
    if unknown:
        problem("tiers", f"Unknown tier(s) {', '.join(sorted(unknown))}; use {', '.join(TIERS)}.")
    if kind in ALLOWED_PERIODS and period not in ALLOWED_PERIODS[kind]:
        allowed = ", ".join(sorted(ALLOWED_PERIODS[kind]))
        problem("period", f"A {kind} badge is judged over: {allowed}.")
    if kind == K.FIRST:
        if len(tiers) != 1:
            problem("tiers", "A first-usage badge has exactly one tier.")
    else:
        for tier, value in tiers.items():
            try:
                number = _number(value, f"The {tier} threshold")
            except ValidationError as exc:
                problem("tiers", exc.messages[0])
                continue
            if kind in {K.RANK, K.STREAK, K.BREADTH} and (number != int(number) or number < 1):
                problem("tiers", f"The {tier} threshold should be a whole number of 1 or more.")
    if kind == K.THRESHOLD and params.get("metric") not in THRESHOLD_METRICS:
        problem(
            "params", f'A threshold badge needs "metric": one of {", ".join(THRESHOLD_METRICS)}.'
        )
    if kind == K.RANK and params.get("metric") not in THRESHOLD_METRICS:
        problem("params", f'A rank badge needs "metric": one of {", ".join(THRESHOLD_METRICS)}.')
    if kind == K.BREADTH and params.get("of") not in {"models", "sources"}:
        problem("params", 'A breadth badge needs "of": "models" or "sources".')
    if kind == K.RATIO:
        if params.get("metric") not in metrics.RATIOS:
            problem("params", f'A ratio badge needs "metric": one of {", ".join(metrics.RATIOS)}.')
        if params.get("direction") not in {"above", "below"}:
            problem("params", 'A ratio badge needs "direction": "above" or "below".')
        try:
            if _number(params.get("min_volume"), "min_volume") <= 0:
                raise ValidationError("x")
        except ValidationError:
            problem(
                "params", 'A ratio badge needs "min_volume" above 0, so that tiny usage cannot win.'
            )
    if FLOOR in params:
        if kind == K.RATIO:
            problem("params", f'"{FLOOR}" is for volume badges; a ratio badge has its own bound.')
        try:
            if _number(params[FLOOR], FLOOR) <= 0:
                raise ValidationError("x")
        except ValidationError:
            problem(
                "params",
                f'"{FLOOR}" should be a number above 0: the output tokens needed per '
                "input-side token, e.g. 0.01.",
            )
    if errors:
        raise ValidationError(errors)
