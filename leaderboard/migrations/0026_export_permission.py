"""Who may have data exported for them is a permission (leaderboard.export_data), separate
from seeing the boards; the managers group has it."""

from django.db import migrations


GROUP = "Leaderboard managers"


def let_managers_export(apps, schema_editor):
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
            Permission.objects.get(content_type__app_label="leaderboard", codename="export_data")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0025_page_view_log'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='board',
            options={'ordering': ['position', 'name'], 'permissions': [('export_data', 'Can have usage and awards exported for them')]},
        ),
        migrations.RunPython(let_managers_export, migrations.RunPython.noop),
    ]
