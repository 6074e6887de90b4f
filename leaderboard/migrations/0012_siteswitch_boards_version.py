from django.db import migrations, models

# Pages cache the boards (with their teams and sources) per boards version; any change to
# what they hold bumps it, whoever makes it (ORM, admin, queryset.update, raw SQL).
WATCHED = ["board", "board_teams", "board_sources", "team", "source"]
SWITCH = "leaderboard_siteswitch"
BUMP = (
    f"INSERT INTO {SWITCH} (id, boards_visible, boards_version) VALUES (1, TRUE, 1) "
    f"ON CONFLICT (id) DO UPDATE SET boards_version = {SWITCH}.boards_version + 1"
)


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION leaderboard_bump_boards_version() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
            )
            for table in WATCHED:
                cursor.execute(
                    f"CREATE TRIGGER leaderboard_{table}_bumps_boards "
                    f"AFTER INSERT OR UPDATE OR DELETE ON leaderboard_{table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION leaderboard_bump_boards_version()"
                )
        elif vendor == "sqlite":
            for table in WATCHED:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER leaderboard_{table}_{event.lower()}_bumps_boards "
                        f"AFTER {event} ON leaderboard_{table} BEGIN {BUMP}; END"
                    )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in WATCHED:
            if vendor == "postgresql":
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS leaderboard_{table}_bumps_boards "
                    f"ON leaderboard_{table}"
                )
            else:
                for event in ("insert", "update", "delete"):
                    cursor.execute(
                        f"DROP TRIGGER IF EXISTS leaderboard_{table}_{event}_bumps_boards"
                    )
        if vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS leaderboard_bump_boards_version()")


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0011_place_scope_index_covered"),
    ]

    operations = [
        migrations.AddField(
            model_name="siteswitch",
            name="boards_version",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
