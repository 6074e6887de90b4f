"""The database as the migrations leave it: its triggers and functions are the ones the db
layer lists (leaderboard/db/__init__.py), and every app's migrations run back and forth.

The inventory tests read PostgreSQL's catalogues (CI runs them; SQLite has no functions and
keeps other triggers). The round trip runs on either database.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

import leaderboard.db
from leaderboard.db import FUNCTIONS, TRIGGERS

APPS = ("badges", "ingest", "leaderboard")

# Functions an extension installs belong to it, not to our migrations.
FUNCTIONS_SQL = """
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND NOT EXISTS (
        SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    )
"""
TRIGGERS_SQL = """
    SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE NOT t.tgisinternal
"""


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI runs it; set DATABASE_URL to run it locally)")


def alive() -> tuple[set[tuple[str, str]], set[str]]:
    """The (table, trigger) pairs and the functions in the database now."""
    with connection.cursor() as cursor:
        cursor.execute(TRIGGERS_SQL)
        triggers = {(table, name) for table, name in cursor.fetchall()}
        cursor.execute(FUNCTIONS_SQL)
        functions = {name for (name,) in cursor.fetchall()}
    return triggers, functions


def inventory_problems() -> str:
    """What differs between the database and leaderboard.db's inventory, in words ("" if
    nothing does)."""
    triggers, functions = alive()
    problems = []
    for what, found, listed in (
        ("trigger", triggers, set(TRIGGERS)),
        ("function", functions, set(FUNCTIONS)),
    ):
        for item in sorted(found - listed):
            problems.append(f"{what} {item} is alive but not listed in leaderboard/db/__init__.py")
        for item in sorted(listed - found):
            problems.append(f"{what} {item} is listed in leaderboard/db/__init__.py but not alive")
    return "\n".join(problems)


def test_the_db_layer_lists_every_trigger_and_function_of_the_migrated_database(db) -> None:
    needs_postgresql()
    problems = inventory_problems()
    assert not problems, "\n" + problems


def test_a_trigger_nobody_listed_fails_the_inventory(db) -> None:
    needs_postgresql()
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(
            "CREATE FUNCTION tokenboard_unlisted() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER leaderboard_team_unlisted AFTER INSERT ON leaderboard_team "
            "FOR EACH STATEMENT EXECUTE FUNCTION tokenboard_unlisted()"
        )
        cursor.execute("DROP TRIGGER leaderboard_team_bumps_boards ON leaderboard_team")

    problems = inventory_problems().splitlines()

    assert problems == [
        "trigger ('leaderboard_team', 'leaderboard_team_unlisted') is alive but not listed "
        "in leaderboard/db/__init__.py",
        "trigger ('leaderboard_team', 'leaderboard_team_bumps_boards') is listed in "
        "leaderboard/db/__init__.py but not alive",
        "function tokenboard_unlisted is alive but not listed in leaderboard/db/__init__.py",
    ]


def test_the_inventory_names_real_migrations_and_its_docstring_names_each_entry() -> None:
    migrations = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    entries = [*TRIGGERS.items(), *FUNCTIONS.items()]
    for entry, made_by in entries:
        app, name = made_by.split(".")
        assert (app, name) in migrations, f"{entry}: no migration {made_by}"
        for part in entry if isinstance(entry, tuple) else (entry,):
            assert part in (leaderboard.db.__doc__ or ""), f"the docstring does not name {part}"


def at_head() -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_app_migrates_back_to_its_first_migration_and_forward_again() -> None:
    """With the seeded rows in place (serialized_rollback loads them), as a database in use
    has them. The database ends at head whatever happens: later tests need its schema."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    try:
        for app in APPS:
            (first,) = graph.root_nodes(app)
            call_command("migrate", app, first[1], verbosity=0)
            assert not at_head()
            call_command("migrate", verbosity=0)
            assert at_head(), f"{app}: not at head after migrating forward again"
            if connection.vendor == "postgresql":
                problems = inventory_problems()
                assert not problems, f"{app}: after its round trip\n{problems}"
    finally:
        call_command("migrate", verbosity=0)
