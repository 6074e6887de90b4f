"""The default catalogue, calibrated (issue 20 §3): on the demo data (seed_demo) and the scale
data (seed_scale), no badge is held by more than half of the people active in a period, and
gold or better by at most about 10% (tests/badges/test_calibration.py holds both). Most
people held Token Volume, Steady Hand, Daily Driver and Model Connoisseur; one-tier badges
held by a third were all gold. Tiers move up and gain bronze and silver below a rarer gold.

First Steps is disabled: everyone with any usage holds it, so it tells nobody anything (a
manager may enable it again). A badge whose tiers a manager changed keeps them; undoing puts
back only what this migration set."""

from django.db import migrations

M = 1_000_000
# slug: (tiers before, tiers after, description after)
CALIBRATED = {
    "cache-wizard": (
        {"gold": "0.5"},
        {"bronze": "0.5", "silver": "0.6", "gold": "0.7"},
        "In an ISO week, at least 50% (bronze), 60% (silver) or 70% (gold) of your input-side "
        "tokens were cache reads, over at least 1,000,000 input-side tokens.",
    ),
    "daily-driver": (
        {"bronze": 15, "gold": 20},
        {"bronze": 28, "gold": 30},
        "Active on 28 (bronze) or 30 (gold) days of a calendar month.",
    ),
    "frugal-finisher": (
        {"bronze": "0.05", "silver": "0.02", "gold": "0.01"},
        {"bronze": "0.04", "silver": "0.03", "gold": "0.02"},
        "Output per dollar: at most $0.04 (bronze), $0.03 (silver) or $0.02 (gold) per 1,000 "
        "output tokens in a month, over at least 100,000 output tokens.",
    ),
    "lean-prompter": (
        {"gold": "0.06"},
        {"bronze": "0.058", "silver": "0.062", "gold": "0.066"},
        "At least 0.058 (bronze), 0.062 (silver) or 0.066 (gold) output tokens per input-side "
        "token in an ISO week, over at least 1,000,000 input-side tokens.",
    ),
    "model-connoisseur": (
        {"gold": 5},
        {"bronze": 7, "silver": 8, "gold": 10},
        "Seven (bronze), eight (silver) or ten (gold) distinct models in a calendar month.",
    ),
    "polyglot": (
        {"gold": 3},
        {"bronze": 3, "gold": 4},
        "Usage in three (bronze) or four (gold) sources (tools) in a calendar month.",
    ),
    "steady-hand": (
        {"bronze": 5, "silver": 10, "gold": 20},
        {"bronze": 15, "silver": 21, "gold": 28},
        "Consecutive active days: 15 (bronze), 21 (silver), 28 (gold).",
    ),
    "token-volume": (
        {"bronze": M, "silver": 100 * M, "gold": 1000 * M, "platinum": 100_000 * M,
         "emerald": 1_000_000 * M},
        {"bronze": 700 * M, "silver": 1500 * M, "gold": 3000 * M, "platinum": 100_000 * M,
         "emerald": 1_000_000 * M},
        "Cumulative total tokens: 700M bronze, 1.5B silver, 3B gold, 100B platinum, 1T emerald.",
    ),
}  # fmt: skip
DISABLED = "first-steps"


def same(a, b):
    """Tiers alike whether a bound is stored as a number or as text."""
    return {k: str(v) for k, v in a.items()} == {k: str(v) for k, v in b.items()}


def forwards(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    for badge in Badge.objects.filter(slug__in=CALIBRATED):
        before, after, description = CALIBRATED[badge.slug]
        if same(badge.tiers, before):
            badge.tiers, badge.description = after, description
            badge.save(update_fields=["tiers", "description"])
    Badge.objects.filter(slug=DISABLED, enabled=True).update(enabled=False)


def backwards(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    originals = {
        "cache-wizard": "In an ISO week, at least half of your input-side tokens were cache "
        "reads, over at least 1,000,000 input-side tokens.",
        "daily-driver": "Active on 15 (bronze) or 20 (gold) days of a calendar month.",
        "frugal-finisher": "Output per dollar: at most $0.05 (bronze), $0.02 (silver) or $0.01 "
        "(gold) per 1,000 output tokens in a month, over at least 100,000 output tokens.",
        "lean-prompter": "At least 0.06 output tokens per input-side token in an ISO week, over "
        "at least 1,000,000 input-side tokens.",
        "model-connoisseur": "Five or more distinct models in a calendar month.",
        "polyglot": "Usage in three or more sources (tools) in a calendar month.",
        "steady-hand": "Consecutive active days: 5 (bronze), 10 (silver), 20 (gold).",
        "token-volume": "Cumulative total tokens: 1M bronze, 100M silver, 1B gold, 100B "
        "platinum, 1T emerald.",
    }
    for badge in Badge.objects.filter(slug__in=CALIBRATED):
        before, after, _ = CALIBRATED[badge.slug]
        if same(badge.tiers, after):
            badge.tiers, badge.description = before, originals[badge.slug]
            badge.save(update_fields=["tiers", "description"])
    Badge.objects.filter(slug=DISABLED).update(enabled=True)


class Migration(migrations.Migration):
    dependencies = [("badges", "0009_one_award_per_badge_and_period")]
    operations = [migrations.RunPython(forwards, backwards)]
