"""The default badge catalogue. Managers can change, disable or retire any of it.

Volume badges sit beside efficiency ones, so the catalogue does not only reward burning
tokens.
"""

from django.db import migrations

M = 1_000_000
CATALOGUE = [
    dict(slug="cache-wizard", name="Cache Wizard", icon="🧙", group="Efficiency",
         title="Cache Wizard", kind="ratio", period="week", policy="permanent",
         description="In an ISO week, at least half of your input-side tokens were cache "
                     "reads, over at least 1,000,000 input-side tokens.",
         params={"metric": "cache_read_share", "direction": "above", "min_volume": M},
         tiers={"gold": "0.5"}),
    dict(slug="token-legend", name="Token Legend", icon="👑", group="Volume",
         title="Token Legend", kind="rank", period="month", policy="holder",
         description="Rank 1 by total tokens for a calendar month. The title moves to each "
                     "month's winner; the monthly award stays in your history.",
         params={"metric": "total_tokens"}, tiers={"gold": 1}),
    dict(slug="session-immortal", name="Session Immortal", icon="♾️", group="Habits",
         title="Session Immortal", kind="streak", period="all_time", policy="permanent",
         description="A streak of 30 or more consecutive UTC days with usage.",
         params={}, tiers={"gold": 30}),
    dict(slug="model-connoisseur", name="Model Connoisseur", icon="🍷", group="Breadth",
         title="Model Connoisseur", kind="breadth", period="month", policy="permanent",
         description="Five or more distinct models in a calendar month.",
         params={"of": "models"}, tiers={"gold": 5}),
    dict(slug="token-volume", name="Token Volume", icon="📈", group="Volume", title="",
         kind="threshold", period="all_time", policy="permanent",
         description="Cumulative total tokens: 1M bronze, 100M silver, 1B gold, 100B platinum, "
                     "1T emerald.",
         params={"metric": "total_tokens"},
         tiers={"bronze": M, "silver": 100 * M, "gold": 1000 * M, "platinum": 100_000 * M,
                "emerald": 1_000_000 * M}),
    dict(slug="frugal-finisher", name="Frugal Finisher", icon="🪙", group="Efficiency",
         title="Frugal Finisher", kind="ratio", period="month", policy="permanent",
         description="Output per dollar: at most $0.05 (bronze), $0.02 (silver) or $0.01 (gold) "
                     "per 1,000 output tokens in a month, over at least 100,000 output tokens.",
         params={"metric": "cost_per_1k_output", "direction": "below", "min_volume": 100_000},
         tiers={"bronze": "0.05", "silver": "0.02", "gold": "0.01"}),
    dict(slug="lean-prompter", name="Lean Prompter", icon="✂️", group="Efficiency", title="",
         kind="ratio", period="week", policy="permanent",
         description="At least 0.06 output tokens per input-side token in an ISO week, over at "
                     "least 1,000,000 input-side tokens.",
         params={"metric": "output_per_input", "direction": "above", "min_volume": M},
         tiers={"gold": "0.06"}),
    dict(slug="first-steps", name="First Steps", icon="👣", group="Habits", title="",
         kind="first", period="all_time", policy="permanent",
         description="Your first recorded usage.", params={}, tiers={"bronze": None}),
    dict(slug="steady-hand", name="Steady Hand", icon="📅", group="Habits", title="",
         kind="streak", period="all_time", policy="permanent",
         description="Consecutive active days: 5 (bronze), 10 (silver), 20 (gold).",
         params={}, tiers={"bronze": 5, "silver": 10, "gold": 20}),
    dict(slug="weekly-podium", name="Weekly Podium", icon="🏅", group="Volume", title="",
         kind="rank", period="week", policy="permanent",
         description="Top 10 (bronze), top 3 (silver) or first (gold) by output tokens in a "
                     "finished ISO week.",
         params={"metric": "output"}, tiers={"bronze": 10, "silver": 3, "gold": 1}),
    dict(slug="polyglot", name="Polyglot", icon="🧭", group="Breadth", title="",
         kind="breadth", period="month", policy="permanent",
         description="Usage in three or more sources (tools) in a calendar month.",
         params={"of": "sources"}, tiers={"gold": 3}),
    dict(slug="daily-driver", name="Daily Driver", icon="🚗", group="Habits", title="",
         kind="threshold", period="month", policy="permanent",
         description="Active on 15 (bronze) or 20 (gold) days of a calendar month.",
         params={"metric": "active_days"}, tiers={"bronze": 15, "gold": 20}),
]


def seed(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    for badge in CATALOGUE:
        Badge.objects.get_or_create(slug=badge["slug"], defaults={**badge, "enabled": True})


def unseed(apps, schema_editor):
    apps.get_model("badges", "Badge").objects.filter(
        slug__in=[b["slug"] for b in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("badges", "0001_badges_awards_titles")]
    operations = [migrations.RunPython(seed, unseed)]
