"""Who may see cost is a permission (leaderboard.view_cost), separate from seeing the boards;
the managers group has it. It is checked only where COST_VISIBLE_TO_ALL is off."""

from django.db import migrations


GROUP = "Leaderboard managers"


def let_managers_see_cost(apps, schema_editor):
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
            Permission.objects.get(content_type__app_label="leaderboard", codename="view_cost")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0031_agent_owners'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='board',
            options={'ordering': ['position', 'name'], 'permissions': [('export_data', 'Can have usage and awards exported for them'), ('view_cost', 'Can see cost (USD) on pages, charts and exports')]},
        ),
        migrations.RunPython(let_managers_see_cost, migrations.RunPython.noop),
    ]
