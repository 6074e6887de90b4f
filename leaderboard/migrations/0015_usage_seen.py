from django.db import migrations

# A pull re-reads the last few days every time; most of those facts have not changed, and
# rewriting each (a new row version in every index, the month triggers undoing and redoing
# it) was most of a second pull's time. On PostgreSQL a pull now leaves an unchanged fact as
# it is, and notes its key here with the pull's time instead: pruning deletes the window's
# facts that the pull neither wrote nor saw, then forgets what the pull saw
# (leaderboard.facts, leaderboard.services.prune_usage). Scratch data that lives for one
# pull: unlogged (not written twice, emptied by a crash, which fails the pull anyway), with
# no key and no index (only pruning reads it, once per pull, by a hash join).
# SQLite rewrites every fact and needs no such table.
SEEN = "leaderboard_usage_seen"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE UNLOGGED TABLE {SEEN} (source_id bigint NOT NULL, day date NOT NULL, "
        "account_id bigint NOT NULL, model varchar(200) NOT NULL, "
        "recorded_at timestamp with time zone NOT NULL)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TABLE {SEEN}")


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0014_usage_fact_references_checked_per_statement"),
    ]

    operations = [migrations.RunPython(create, drop)]
