import datetime as dt

from django.db import migrations, models

# Usage versions per day (issue 23): a change to the facts of some days moves the version of
# the scopes that count those days only, so a pull of today leaves last month's stored
# rankings (and the pages cached by them) valid. Every bump still takes the next number of
# the one counter (leaderboard_usageversion.number), so versions stay comparable:
# - a statement that changed facts notes the new number against each day it touched (both a
#   row's old and new day when an update moves it) in leaderboard_usageday;
# - a statement on accounts, people, teams or sources (not about days) sets `everything` to
#   the new number, which every scope's version is at least.
# A scope's version is then GREATEST(everything, the largest day number within its days).
# SQLite keeps its row triggers: there every scope's version is the counter's number.
FACTS = "leaderboard_usagefact"
VERSION = "leaderboard_usageversion"
DAYS = "leaderboard_usageday"

BUMP_EVERYTHING = (
    f"INSERT INTO {VERSION} (id, number, everything) VALUES (1, 1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {VERSION}.number + 1, "
    f"everything = {VERSION}.number + 1"
)
BUMP_DAYS = f"""
DECLARE bumped bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM changed) THEN RETURN NULL; END IF;
    INSERT INTO {VERSION} (id, number, everything) VALUES (1, 1, 0)
        ON CONFLICT (id) DO UPDATE SET number = {VERSION}.number + 1
        RETURNING number INTO bumped;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO {DAYS} (day, number)
            SELECT day, bumped FROM (SELECT day FROM changed UNION SELECT day FROM moved) d
            ON CONFLICT (day) DO UPDATE SET number = EXCLUDED.number;
    ELSE
        INSERT INTO {DAYS} (day, number) SELECT DISTINCT day, bumped FROM changed
            ON CONFLICT (day) DO UPDATE SET number = EXCLUDED.number;
    END IF;
    RETURN NULL;
END
"""
# The bodies these functions had (0009, 0016), for going back.
OLD_BUMP = (
    f"INSERT INTO {VERSION} (id, number) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {VERSION}.number + 1"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"UPDATE {VERSION} SET everything = number")
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION leaderboard_bump_usage_version() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {BUMP_EVERYTHING}; RETURN NULL; END $$"
    )
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION leaderboard_bump_usage_version_if_changed() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ {BUMP_DAYS} $$"
    )
    # An update also notes the day a row had before (insert and delete keep their triggers).
    schema_editor.execute(f"DROP TRIGGER leaderboard_usagefact_update_bumps_version ON {FACTS}")
    schema_editor.execute(
        "CREATE TRIGGER leaderboard_usagefact_update_bumps_version AFTER UPDATE "
        f"ON {FACTS} REFERENCING OLD TABLE AS moved NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION leaderboard_bump_usage_version_if_changed()"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION leaderboard_bump_usage_version() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {OLD_BUMP}; RETURN NULL; END $$"
    )
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION leaderboard_bump_usage_version_if_changed() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM changed) THEN {OLD_BUMP}; "
        "END IF; RETURN NULL; END $$"
    )
    schema_editor.execute(f"DROP TRIGGER leaderboard_usagefact_update_bumps_version ON {FACTS}")
    schema_editor.execute(
        f"CREATE TRIGGER leaderboard_usagefact_update_bumps_version AFTER UPDATE "
        f"ON {FACTS} REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION leaderboard_bump_usage_version_if_changed()"
    )


def forget_rankings(apps, schema_editor):
    """Stored rankings are a cache: those stored before their days were noted are dropped."""
    apps.get_model("leaderboard", "RankedScope").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0032_cost_permission"),
    ]

    operations = [
        migrations.RunPython(forget_rankings, migrations.RunPython.noop),
        migrations.AddField(
            model_name="usageversion",
            name="everything",
            field=models.BigIntegerField(null=True),
        ),
        migrations.CreateModel(
            name="UsageDay",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False)),
                ("number", models.BigIntegerField()),
            ],
        ),
        migrations.AddField(
            model_name="rankedscope",
            name="first_day",
            field=models.DateField(default=dt.date(2000, 1, 1)),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rankedscope",
            name="last_day",
            field=models.DateField(default=dt.date(2000, 1, 1)),
            preserve_default=False,
        ),
        migrations.RunPython(forward, backward),
    ]
