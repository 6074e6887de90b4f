"""The view log (issue 20 §4): who viewed which board or page, or made which export.
Managers may read it (the view permission joins their group); nobody edits it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


GROUP = "Leaderboard managers"


def let_managers_read(apps, schema_editor):
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
            Permission.objects.get(
                content_type__app_label="leaderboard", codename="view_pageview"
            )
        )


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0024_board_top_and_neighbourhood'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='PageView',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('kind', models.CharField(choices=[('board', 'Board'), ('person', 'Person page'), ('team', 'Team page'), ('export', 'Export')], max_length=10)),
                ('target', models.CharField(help_text="The board's slug, person's or team's id, or the command.", max_length=200)),
                ('query', models.CharField(blank=True, help_text='Filters or arguments.', max_length=300)),
                ('viewer', models.ForeignKey(blank=True, help_text='Empty: an export made for no named viewer, or a deleted user.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.RunPython(let_managers_read, migrations.RunPython.noop),
    ]
