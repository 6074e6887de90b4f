from django.db import migrations, models
import django.db.models.deletion

# A first full badge pass writes millions of awards. Two of their six indexes only repeated
# the start of others ((person) of the unique key and of (person, granted_at), (badge) of
# (badge, period_start)): they go, everywhere. And on PostgreSQL the awards' references to
# people and badges are checked once per statement by leaderboard's migration 0014 functions,
# not by foreign keys once per row (for 5.4 million awards, 10.8 million queries at commit).
# Deleting a person or badge still deletes their awards first (Django's CASCADE); deleting
# one that awards still use fails at commit. SQLite keeps its foreign keys. Migrations must
# not import each other, so the few lines that place the triggers are repeated here.
AWARDS = "badges_award"
REFERENCES = [("person_id", "leaderboard_person"), ("badge_id", "badges_badge")]


def _single_column_indexes(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, AWARDS)
    wanted = {column for column, _ in REFERENCES}
    return [
        name
        for name, about in found.items()
        if about["index"]
        and not (about["unique"] or about["primary_key"] or about["foreign_key"])
        and len(about["columns"]) == 1
        and about["columns"][0] in wanted
    ]


def forwards(apps, schema_editor):
    for name in _single_column_indexes(schema_editor):
        schema_editor.execute(f'DROP INDEX "{name}"')
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column, _ in REFERENCES:
            cursor.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
                "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = %s",
                [AWARDS, column],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {AWARDS} DROP CONSTRAINT "{name}"')
        arguments = ", ".join(f"'{part}'" for pair in REFERENCES for part in pair)
        for event in ("INSERT", "UPDATE"):
            cursor.execute(
                f"CREATE TRIGGER {AWARDS}_{event.lower()}_references AFTER {event} ON {AWARDS} "
                f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION tokenboard_check_references({arguments})"
            )
        for column, referenced in REFERENCES:
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER {AWARDS}_{column}_still_used "
                f"AFTER DELETE OR UPDATE OF id ON {referenced} DEFERRABLE INITIALLY DEFERRED "
                f"FOR EACH ROW EXECUTE FUNCTION tokenboard_check_unreferenced('{AWARDS}', '{column}')"
            )


def backwards(apps, schema_editor):
    for column, _ in REFERENCES:
        schema_editor.execute(f"CREATE INDEX {AWARDS}_{column} ON {AWARDS} ({column})")
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in ("insert", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {AWARDS}_{event}_references ON {AWARDS}")
    for column, referenced in REFERENCES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {AWARDS}_{column}_still_used ON {referenced}")
        schema_editor.execute(
            f"ALTER TABLE {AWARDS} ADD CONSTRAINT {AWARDS}_{column}_fk FOREIGN KEY ({column}) "
            f"REFERENCES {referenced} (id) DEFERRABLE INITIALLY DEFERRED"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("badges", "0005_noticing_keeps_badge_version"),
        ("leaderboard", "0014_usage_fact_references_checked_per_statement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="award",
                    name="badge",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="awards",
                        to="badges.badge",
                    ),
                ),
                migrations.AlterField(
                    model_name="award",
                    name="person",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="awards",
                        to="leaderboard.person",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
