from django.db import migrations

# A holder seeing their "new badge" notice sets only awards' noticed_at, which no cached page
# shows: it must not move the badge version, or every cached standings row would be rendered
# again after anyone opens their own page. So the award trigger watches updates of the other
# columns only (migration 0004 made it for every update). Migrations must not import each
# other, so 0004's SQL is repeated here.
VERSION = "badges_badgeversion"
BUMP = (
    f"INSERT INTO {VERSION} (id, number) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {VERSION}.number + 1"
)
SHOWN = (
    "person_id, badge_id, tier, period_start, period_end, granted_at, evidence, quiet, "
    "revoked_at, revoked_reason"
)


def watch_shown_columns(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS badges_award_bumps_version ON badges_award")
        schema_editor.execute(
            "CREATE TRIGGER badges_award_bumps_version AFTER INSERT OR DELETE ON badges_award "
            "FOR EACH STATEMENT EXECUTE FUNCTION badges_bump_version()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER badges_award_update_bumps_version AFTER UPDATE OF {SHOWN} "
            "ON badges_award FOR EACH STATEMENT EXECUTE FUNCTION badges_bump_version()"
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS badges_award_update_bumps_version")
        schema_editor.execute(
            f"CREATE TRIGGER badges_award_update_bumps_version AFTER UPDATE OF {SHOWN} "
            f"ON badges_award BEGIN {BUMP}; END"
        )


def watch_every_column(apps, schema_editor):
    """Back to migration 0004's triggers."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS badges_award_update_bumps_version ON badges_award"
        )
        schema_editor.execute("DROP TRIGGER IF EXISTS badges_award_bumps_version ON badges_award")
        schema_editor.execute(
            "CREATE TRIGGER badges_award_bumps_version "
            "AFTER INSERT OR UPDATE OR DELETE ON badges_award "
            "FOR EACH STATEMENT EXECUTE FUNCTION badges_bump_version()"
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS badges_award_update_bumps_version")
        schema_editor.execute(
            "CREATE TRIGGER badges_award_update_bumps_version AFTER UPDATE ON badges_award "
            f"BEGIN {BUMP}; END"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("badges", "0004_badge_version"),
    ]

    operations = [
        migrations.RunPython(watch_shown_columns, watch_every_column),
    ]
