"""The "how the numbers work" page: each lens's formula in words, generated from the metric
table (leaderboard.db.metrics) so that the page cannot drift from what boards compute."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from leaderboard.db import metrics
from leaderboard.db.metrics import METRICS, RATIOS
from leaderboard.domain import gaming
from leaderboard.domain.periods import unit_of
from leaderboard.models import Board, GamingRule
from leaderboard.selectors.site import Site, site

# What each lens ranks: a metric summed over the period, or a ratio of two.
LENS_MEASURES = {
    Board.Lens.SCORE: "score",
    Board.Lens.TOTAL_TOKENS: "total_tokens",
    Board.Lens.OUTPUT: "output",
    Board.Lens.COST: "cost",
    Board.Lens.CACHE_READ_SHARE: "cache_read_share",
    Board.Lens.REQUESTS: "requests",
    Board.Lens.ACTIVE_DAYS: "active_days",
}
# The parts a total is the sum of (the metric's SQL adds the same columns).
TOTAL_PARTS = ("input", "cache_read", "cache_write", "output")


@dataclass(frozen=True)
class LensFormula:
    lens: str
    name: str
    formula: str
    unit: str


def _words(measure: str) -> str:
    if measure in RATIOS:
        ratio = RATIOS[measure]
        per = f" × {ratio.scale:,}" if ratio.scale != 1 else ""
        volume = (
            f"; ranked only above the board's minimum of {METRICS[ratio.volume].label.lower()}"
            if ratio.volume
            else ""
        )
        return (
            f"{ratio.label}: {METRICS[ratio.numerator].label.lower()}{per} ÷ "
            f"{METRICS[ratio.denominator].label.lower()}, each summed over the period{volume}"
        )
    label = METRICS[measure].label
    if measure == "score":
        return _score_words()
    if measure == "total_tokens":
        parts = " + ".join(METRICS[part].label.lower() for part in TOTAL_PARTS)
        return f"{label}: {parts}, summed over the period"
    if measure == "active_days":
        return f"{label}: the number of days in the period with any counted usage"
    return f"{label}, summed over the period"


def _score_words() -> str:
    output, cost, days = (METRICS[n].label.lower() for n in ("output", "cost", "active_days"))
    budget = metrics.SCORE_DAILY_BUDGET
    return (
        f"{METRICS['score'].label}: (output credited ÷ 1,000 + "
        f"{metrics.SCORE_POINTS_PER_DAY} × {days}) × efficiency × cache bonus, from the "
        f"period's sums, rounded to 2 places. Output credited: all the {output} while the "
        f"{cost} stays within a budget B of ${budget} per active day; past it, spend counts "
        f"only as B × (1 + ln(cost ÷ B)), and the output in that proportion (× B × (1 + "
        f"ln(cost ÷ B)) ÷ cost), so points taper and doubling spend without more output "
        f"lowers the score. Efficiency: {output} per dollar ÷ "
        f"{metrics.SCORE_REFERENCE_OUTPUT_PER_USD:,}, at most 1 (1 where nothing is priced), "
        f"so spending alone scores next to nothing. Cache bonus: 1 + the cache-read share of "
        f"input-side tokens once they reach {metrics.SCORE_CACHE_MIN_VOLUME:,}, else 1"
    )


def lens_formulas() -> list[LensFormula]:
    """Every lens a board can rank by, its formula in words, and its unit."""
    return [
        LensFormula(lens, str(label), _words(LENS_MEASURES[Board.Lens(lens)]), unit_of(lens))
        for lens, label in Board.Lens.choices
    ]


@dataclass(frozen=True)
class RuleWords:
    slug: str
    kind: str
    name: str
    words: str


def gaming_rules() -> list[RuleWords]:
    """Every enabled gaming rule in words, with its thresholds."""
    rules = []
    for rule in GamingRule.objects.filter(enabled=True).order_by("kind", "slug"):
        try:
            words = rule.description or gaming.describe(rule.kind, rule.params)
        except gaming.RuleError:
            continue  # the admin refuses such params; a rule broken by hand does not run
        rules.append(RuleWords(rule.slug, rule.kind, rule.get_kind_display(), words))
    return rules


@dataclass(frozen=True)
class AboutPage:
    site: Site  # its versions key the cached badge catalogue
    lenses: list[LensFormula]
    rules: list[RuleWords]
    today: dt.date


def about_page(*, today: dt.date) -> AboutPage:
    return AboutPage(site=site(), lenses=lens_formulas(), rules=gaming_rules(), today=today)
