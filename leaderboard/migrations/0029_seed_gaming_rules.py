"""Gaming review's defaults: one enabled rule of each kind with its default thresholds
(leaderboard.domain.gaming.DEFAULTS: params left empty take them), which managers tune in
the admin; and the managers' permissions to edit rules and to review flags (a flag's every
field is read-only: "change" is what the confirm and clear actions need)."""

from django.db import migrations

GROUP = "Leaderboard managers"
RULES = [
    ("spike", "spike"),
    ("low-output", "low_output"),
    ("loop", "loop"),
    ("cost-outlier", "cost_outlier"),
]
PERMISSIONS = [
    "add_gamingrule",
    "change_gamingrule",
    "view_gamingrule",
    "change_flag",
    "view_flag",
]


def seed(apps, schema_editor):
    GamingRule = apps.get_model("leaderboard", "GamingRule")
    for slug, kind in RULES:
        GamingRule.objects.get_or_create(slug=slug, defaults={"kind": kind, "params": {}})
    let_managers_review(apps, schema_editor)


def let_managers_review(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("leaderboard")
    app_config.models_module = True  # permissions exist only after post_migrate
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="leaderboard", codename__in=PERMISSIONS
            )
        )


def unseed(apps, schema_editor):
    GamingRule = apps.get_model("leaderboard", "GamingRule")
    GamingRule.objects.filter(slug__in=[slug for slug, _ in RULES], flags__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0028_usage_fact_held_gaming_flags"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
