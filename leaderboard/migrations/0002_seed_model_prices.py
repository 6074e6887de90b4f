"""Seed list prices (USD per million tokens) of common models; managers edit them in the admin.

OpenAI does not charge for cache writes, so its cache-write price equals plain input.
Anthropic's cache-write price is the 5-minute rate (1.25x input).
"""

from decimal import Decimal

from django.db import migrations

PRICES = {
    # model: (input, cached input, cache write, output)
    "gpt-5": ("1.25", "0.125", "1.25", "10.00"),
    "gpt-5-mini": ("0.25", "0.025", "0.25", "2.00"),
    "gpt-5-nano": ("0.05", "0.005", "0.05", "0.40"),
    "gpt-4.1": ("2.00", "0.50", "2.00", "8.00"),
    "gpt-4.1-mini": ("0.40", "0.10", "0.40", "1.60"),
    "gpt-4.1-nano": ("0.10", "0.025", "0.10", "0.40"),
    "gpt-4o": ("2.50", "1.25", "2.50", "10.00"),
    "gpt-4o-mini": ("0.15", "0.075", "0.15", "0.60"),
    "o3": ("2.00", "0.50", "2.00", "8.00"),
    "o4-mini": ("1.10", "0.275", "1.10", "4.40"),
    "claude-opus-4-1": ("15.00", "1.50", "18.75", "75.00"),
    "claude-opus-4": ("15.00", "1.50", "18.75", "75.00"),
    "claude-opus-4-5": ("5.00", "0.50", "6.25", "25.00"),
    "claude-sonnet-4-5": ("3.00", "0.30", "3.75", "15.00"),
    "claude-sonnet-4": ("3.00", "0.30", "3.75", "15.00"),
    "claude-haiku-4-5": ("1.00", "0.10", "1.25", "5.00"),
    "claude-3-5-haiku": ("0.80", "0.08", "1.00", "4.00"),
}


def seed(apps, schema_editor):
    ModelPrice = apps.get_model("leaderboard", "ModelPrice")
    for model, (inp, cached, write, out) in PRICES.items():
        ModelPrice.objects.get_or_create(
            model=model,
            defaults={
                "input_per_million": Decimal(inp),
                "cached_input_per_million": Decimal(cached),
                "cache_write_per_million": Decimal(write),
                "output_per_million": Decimal(out),
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("leaderboard", "ModelPrice").objects.filter(model__in=PRICES).delete()


class Migration(migrations.Migration):
    dependencies = [("leaderboard", "0001_people_accounts_usage")]
    operations = [migrations.RunPython(seed, unseed)]
