"""SQLite loses a table's triggers when Django rebuilds the table for a schema change (an
added column on SQLite is a new table copied over): the usage-version triggers of 0009 were
gone from people (0027) and accounts (0031), so on SQLite (make run's database) excluding a
person, marking an account as an agent or giving it to someone else left stored rankings
current. Put back whichever are missing; PostgreSQL keeps its triggers and is untouched. A
later migration that rebuilds one of these tables on SQLite must do the same."""

from django.db import migrations

WATCHED = ["usagefact", "account", "person", "team", "source"]
VERSION = "leaderboard_usageversion"
BUMP = (
    f"INSERT INTO {VERSION} (id, number) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {VERSION}.number + 1"
)


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS leaderboard_{table}_{event.lower()}_bumps_version "
                f"AFTER {event} ON leaderboard_{table} BEGIN {BUMP}; END"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0033_versions_per_day"),
    ]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
