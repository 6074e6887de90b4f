from django.db import migrations, models
import django.db.models.deletion

# A foreign key checks every new row on its own: one query per row and key, at commit. For a
# merge of 1,000,000 facts that was 2,000,000 queries, a third of the merge's time. On
# PostgreSQL the facts' references to accounts and sources are checked instead once per
# statement, over all its rows (the statement's transition table): the rows' accounts and
# sources are locked as a foreign key locks them (FOR KEY SHARE), and a missing one fails the
# statement with SQLSTATE 23503 (foreign_key_violation), as a foreign key does. Deleting an
# account or source that facts still use fails at commit, as the deferred foreign keys did
# (a row trigger: deletes are rare). The functions are generic: badges' awards use them too.
#
# SQLite (a laptop) keeps its foreign keys: dropping one there rebuilds the table. Its
# integrity tests (tests/test_references.py) fail if a later rebuild drops them.
FACTS = "leaderboard_usagefact"
REFERENCES = [("account_id", "leaderboard_account"), ("source_id", "leaderboard_source")]

CHECK_NEW_ROWS = """
CREATE FUNCTION tokenboard_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    -- TG_ARGV: column, referenced table, column, referenced table, ...
    FOR i IN 0 .. TG_NARGS / 2 - 1 LOOP
        EXECUTE format(
            'SELECT (SELECT count(DISTINCT %1$I) FROM new_rows) - (SELECT count(*) FROM '
            '(SELECT 1 FROM %2$I p WHERE p.id IN (SELECT %1$I FROM new_rows) '
            'FOR KEY SHARE OF p) held)',
            TG_ARGV[2 * i], TG_ARGV[2 * i + 1]
        ) INTO missing;
        IF missing > 0 THEN
            RAISE EXCEPTION '%: % value(s) of % refer to no row of %',
                TG_TABLE_NAME, missing, TG_ARGV[2 * i], TG_ARGV[2 * i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$
"""
CHECK_GONE_ROW = """
CREATE FUNCTION tokenboard_check_unreferenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used boolean;
BEGIN
    -- TG_ARGV: referring table, its column
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[0], TG_ARGV[1])
        INTO used USING OLD.id;
    IF used THEN
        RAISE EXCEPTION '% % is still referred to by %', TG_TABLE_NAME, OLD.id, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""


def check_per_statement(schema_editor, table, references):
    """Replace table's foreign keys on these columns with the per-statement check."""
    with schema_editor.connection.cursor() as cursor:
        for column, _ in references:
            cursor.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
                "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = %s",
                [table, column],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        arguments = ", ".join(f"'{part}'" for pair in references for part in pair)
        for event in ("INSERT", "UPDATE"):
            cursor.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_references AFTER {event} ON {table} "
                f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION tokenboard_check_references({arguments})"
            )
        for column, referenced in references:
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_{column}_still_used "
                f"AFTER DELETE OR UPDATE OF id ON {referenced} DEFERRABLE INITIALLY DEFERRED "
                f"FOR EACH ROW EXECUTE FUNCTION tokenboard_check_unreferenced('{table}', '{column}')"
            )


def foreign_keys_again(schema_editor, table, references):
    with schema_editor.connection.cursor() as cursor:
        for event in ("insert", "update"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_references ON {table}")
        for column, referenced in references:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{column}_still_used ON {referenced}")
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fk FOREIGN KEY ({column}) "
                f"REFERENCES {referenced} (id) DEFERRABLE INITIALLY DEFERRED"
            )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CHECK_NEW_ROWS, None)  # no parameters: its % are format()'s
    schema_editor.execute(CHECK_GONE_ROW, None)
    check_per_statement(schema_editor, FACTS, REFERENCES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    foreign_keys_again(schema_editor, FACTS, REFERENCES)
    schema_editor.execute("DROP FUNCTION IF EXISTS tokenboard_check_references()")
    schema_editor.execute("DROP FUNCTION IF EXISTS tokenboard_check_unreferenced()")


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0013_usage_fact_key_by_account"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="usagefact",
                    name="account",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="usage",
                        to="leaderboard.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="usagefact",
                    name="source",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="usage",
                        to="leaderboard.source",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
