from django.db import migrations

# The usage version moved on every statement on the facts, even one that changed no row. A
# pull re-reads the last few days each time and now leaves unchanged facts as they are
# (0015), so such a pull's statements change nothing: on PostgreSQL the facts' triggers now
# move the version only when the statement's transition table holds a row, and every cached
# page and stored ranking stays valid after a pull that found nothing new. (The month
# triggers already keep these transition tables: PostgreSQL shares them among triggers.)
# SQLite's row triggers fire only for rows written.
FACTS = "leaderboard_usagefact"
VERSION = "leaderboard_usageversion"
BUMP = (
    f"INSERT INTO {VERSION} (id, number) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {VERSION}.number + 1"
)
TRANSITIONS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER leaderboard_usagefact_bumps_version ON {FACTS}")
    schema_editor.execute(
        "CREATE FUNCTION leaderboard_bump_usage_version_if_changed() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM changed) THEN {BUMP}; "
        "END IF; RETURN NULL; END $$"
    )
    for event, which in TRANSITIONS.items():
        schema_editor.execute(
            f"CREATE TRIGGER leaderboard_usagefact_{event}_bumps_version AFTER {event.upper()} "
            f"ON {FACTS} REFERENCING {which} TABLE AS changed FOR EACH STATEMENT "
            "EXECUTE FUNCTION leaderboard_bump_usage_version_if_changed()"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in TRANSITIONS:
        schema_editor.execute(f"DROP TRIGGER leaderboard_usagefact_{event}_bumps_version ON {FACTS}")
    schema_editor.execute("DROP FUNCTION leaderboard_bump_usage_version_if_changed()")
    schema_editor.execute(
        f"CREATE TRIGGER leaderboard_usagefact_bumps_version "
        f"AFTER INSERT OR UPDATE OR DELETE ON {FACTS} "
        "FOR EACH STATEMENT EXECUTE FUNCTION leaderboard_bump_usage_version()"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0015_usage_seen"),
    ]

    operations = [migrations.RunPython(forward, backward)]
