"""Usage facts and awards refer only to rows that exist, whichever way they are written.

On PostgreSQL the references are checked once per statement by triggers (leaderboard
migration 0014, badges 0006) instead of foreign keys; SQLite keeps its foreign keys. The
same tests run on both: a table rebuild that lost either would fail them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from badges.db import insert_awards
from badges.models import Award
from leaderboard.db import facts
from leaderboard.models import Account, Person, Source, UsageFact
from tests.factories import AccountFactory, BadgeFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 2)


def row(source_id: int, account_id: int, model: str = "gpt-5") -> facts.FactRow:
    return facts.FactRow(
        source_id, DAY, account_id, model, 10, 0, 0, 5, 1, None, False, timezone.now()
    )


def checked_at_commit() -> None:
    """What a commit would check of the deferred constraints, inside the test's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        connection.check_constraints()


def missing_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def test_usage_of_an_account_or_source_that_does_not_exist_is_refused_and_nothing_lands():
    source, account = SourceFactory(), AccountFactory()
    facts.upsert([row(source.pk, account.pk)])

    for bad in (row(source.pk, missing_id(Account)), row(missing_id(Source), account.pk)):
        with pytest.raises(IntegrityError), transaction.atomic():
            # a good row beside the bad one: the whole write fails
            facts.upsert([row(source.pk, account.pk, "o3"), bad])
            checked_at_commit()

    assert list(UsageFact.objects.values_list("model", flat=True)) == ["gpt-5"]


def test_usage_moved_to_an_account_that_does_not_exist_is_refused():
    fact_source, account = SourceFactory(), AccountFactory()
    facts.upsert([row(fact_source.pk, account.pk)])

    with pytest.raises(IntegrityError), transaction.atomic():
        UsageFact.objects.update(account_id=missing_id(Account))
        checked_at_commit()

    assert UsageFact.objects.get().account == account


def test_an_account_or_source_that_usage_still_refers_to_cannot_be_deleted():
    source, account = SourceFactory(), AccountFactory()
    facts.upsert([row(source.pk, account.pk)])

    with pytest.raises(ProtectedError):  # through Django: refused before any SQL
        account.delete()
    for model, pk in ((Account, account.pk), (Source, source.pk)):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk)._raw_delete(connection.alias)  # plain SQL DELETE
            checked_at_commit()

    assert UsageFact.objects.get().account == account


def test_an_account_without_usage_is_deleted_as_before():
    source, used, unused = SourceFactory(), AccountFactory(), AccountFactory()
    facts.upsert([row(source.pk, used.pk)])

    unused.delete()
    checked_at_commit()

    assert list(Account.objects.all()) == [used]


def test_awards_are_for_people_and_badges_that_exist():
    person, badge = PersonFactory(), BadgeFactory()
    now = timezone.now()

    def award(person_id: int, badge_id: int, tier: str = "gold") -> tuple:
        return (
            person_id,
            badge_id,
            tier,
            {tier: now.isoformat()},
            DAY,
            DAY,
            now,
            {},
            False,
            None,
            "",
        )

    insert_awards([award(person.pk, badge.pk)])
    for bad in (award(missing_id(Person), badge.pk), award(person.pk, badge.pk + 1000)):
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_awards([award(person.pk, badge.pk, "bronze"), bad])
            checked_at_commit()

    assert list(Award.objects.values_list("person", "badge", "tier")) == [
        (person.pk, badge.pk, "gold")
    ]


def test_awards_go_with_their_person_or_badge_and_a_raw_delete_cannot_orphan_them():
    keeps, leaves = PersonFactory(), PersonFactory()
    badge, dropped = BadgeFactory(), BadgeFactory()
    now = timezone.now()
    insert_awards(
        [
            (p.pk, b.pk, "gold", {"gold": now.isoformat()}, DAY, DAY, now, {}, False, None, "")
            for p in (keeps, leaves)
            for b in (badge, dropped)
        ]
    )

    leaves.delete()  # Django deletes their awards first
    dropped.delete()  # and a badge's
    checked_at_commit()
    assert list(Award.objects.values_list("person", "badge")) == [(keeps.pk, badge.pk)]

    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=keeps.pk)._raw_delete(connection.alias)
        checked_at_commit()
    assert Award.objects.get().person == keeps


# --- two sessions at once (PostgreSQL: the per-statement check's locks) --------------------


def _waiting_for_a_lock(pid: int, other: threading.Thread, timeout: float = 10) -> bool:
    """Whether backend pid is (soon) blocked on a lock while `other` still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and other.is_alive():
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            found = cursor.fetchone()
        if found and found[0] == "Lock":
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def account_deletes_leave_the_usage_version(postgres):
    """Deleting an account also moves the usage version, whose one row then serializes the
    delete with any write of usage: that alone would pass the tests below. Without it, only
    the references check's locks (FOR KEY SHARE, as a foreign key takes) keep usage from
    landing on a deleted account."""
    trigger = "leaderboard_account_bumps_version"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE leaderboard_account DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE leaderboard_account ENABLE TRIGGER {trigger}")


@pytest.mark.django_db(transaction=True)
def test_an_account_deleted_while_its_usage_is_written_stays_with_its_usage(
    postgres, account_deletes_leave_the_usage_version
):
    source, account = SourceFactory(), AccountFactory()
    other = postgres()  # an admin deleting the account meanwhile
    outcome: list[BaseException | None] = []

    def delete_account() -> None:
        try:
            other.execute("DELETE FROM leaderboard_account WHERE id = %s", [account.pk])
            outcome.append(None)
        except psycopg.Error as exc:
            outcome.append(exc)

    with transaction.atomic():
        facts.upsert([row(source.pk, account.pk)])
        deleting = threading.Thread(target=delete_account)
        deleting.start()
        # the write holds the account as a foreign key would: the delete waits
        assert _waiting_for_a_lock(other.info.backend_pid, deleting)
    deleting.join(timeout=30)

    assert isinstance(outcome[0], psycopg.errors.ForeignKeyViolation)
    assert Account.objects.filter(pk=account.pk).exists()
    assert UsageFact.objects.get().account_id == account.pk


@pytest.mark.django_db(transaction=True)
def test_usage_written_while_its_account_is_deleted_fails_instead_of_landing(
    postgres, account_deletes_leave_the_usage_version
):
    source, account = SourceFactory(), AccountFactory()
    other = postgres()  # an admin deleting the account, not committed yet
    other.execute("BEGIN")
    other.execute("DELETE FROM leaderboard_account WHERE id = %s", [account.pk])
    writer: list[int] = []
    outcome: list[BaseException | None] = []

    def write_usage() -> None:
        try:
            connection.ensure_connection()  # this thread's own database session
            writer.append(connection.connection.info.backend_pid)
            with transaction.atomic():
                facts.upsert([row(source.pk, account.pk)])
            outcome.append(None)
        except IntegrityError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    writing = threading.Thread(target=write_usage)
    writing.start()
    try:
        while not writer and writing.is_alive():
            time.sleep(0.01)
        waited = _waiting_for_a_lock(writer[0], writing)
    finally:
        other.execute("COMMIT")
    writing.join(timeout=30)

    assert waited, "the write did not wait for the delete to finish"
    assert isinstance(outcome[0], IntegrityError)
    assert not UsageFact.objects.exists()
