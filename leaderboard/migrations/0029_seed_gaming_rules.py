from django.db import migrations

# One enabled rule of each kind with its defaults (leaderboard.domain.gaming.DEFAULTS: params
# left empty take them), which managers tune in the admin.
RULES = [
    ("spike", "spike"),
    ("low-output", "low_output"),
    ("loop", "loop"),
    ("cost-outlier", "cost_outlier"),
]


def seed(apps, schema_editor):
    GamingRule = apps.get_model("leaderboard", "GamingRule")
    for slug, kind in RULES:
        GamingRule.objects.get_or_create(slug=slug, defaults={"kind": kind, "params": {}})


def unseed(apps, schema_editor):
    GamingRule = apps.get_model("leaderboard", "GamingRule")
    GamingRule.objects.filter(slug__in=[slug for slug, _ in RULES], flags__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0028_usage_fact_held_gaming_flags"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
