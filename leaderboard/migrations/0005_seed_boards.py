"""Seed the four boards every company starts with, and the site switch (boards visible)."""

from django.db import migrations

BOARDS = [
    dict(slug="token-volume", name="Token volume", metric="total_tokens", period="month",
         position=1, description="Everyone's total tokens this month: input, cache reads and "
                                 "writes, and output, from every source that counts."),
    dict(slug="output", name="Output", metric="output", period="week", position=2,
         description="Output tokens this ISO week: what the models wrote for you."),
    dict(slug="cache-efficiency", name="Cache efficiency", metric="cache_read_share",
         period="month", position=3, ratio_min_volume=1_000_000,
         description="The share of input-side tokens served from cache this month. Higher is "
                     "cheaper and faster; only people with at least 1M input-side tokens are "
                     "ranked."),
    dict(slug="spend", name="Spend", metric="cost", period="month", position=4,
         description="Cost this month, reported by the provider or estimated from list prices."),
]


def seed(apps, schema_editor):
    Board = apps.get_model("leaderboard", "Board")
    for board in BOARDS:
        Board.objects.get_or_create(slug=board["slug"], defaults=board)
    apps.get_model("leaderboard", "SiteSwitch").objects.get_or_create(id=1)


def unseed(apps, schema_editor):
    apps.get_model("leaderboard", "Board").objects.filter(
        slug__in=[b["slug"] for b in BOARDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("leaderboard", "0004_boards_snapshots_site_switch")]
    operations = [migrations.RunPython(seed, unseed)]
