"""The "Leaderboard managers" group: exactly the admin permissions managers need, no superuser.

Boards, badges, connections, people, teams, accounts and prices can be changed; runs, awards,
rejected rows, usage facts and the audit trail can be read.
"""

from django.db import migrations

GROUP = "Leaderboard managers"
FULL = {
    "leaderboard": ["board", "person", "team", "account", "modelprice", "source", "siteswitch"],
    "badges": ["badge"],
    "ingest": ["connection"],
}
READ = {
    "leaderboard": ["boardstatuschange", "boardsnapshot", "usagefact", "auditevent"],
    "badges": ["award"],
    "ingest": ["ingestrun", "rejectedrow"],
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions exist only after post_migrate
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for grants, actions in ((FULL, ["add", "change", "delete", "view"]), (READ, ["view"])):
        for app_label, models in grants.items():
            for model in models:
                wanted += [(app_label, f"{action}_{model}") for action in actions]
    perms = [Permission.objects.get(content_type__app_label=a, codename=c) for a, c in wanted]
    group.permissions.set(perms)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0006_person_privacy_audit_trail"),
        ("badges", "0003_award_noticed_at"),
        ("ingest", "0001_connections_runs_rejected_rows"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_group, delete_group)]
