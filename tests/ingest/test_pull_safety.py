"""A pull that misses many stored facts (a provider that ends its pages early) holds their
deletion for review; a small genuine revision is deleted as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from ingest.models import HeldFact, IngestRun
from ingest.services.deletions import confirm_held_deletions
from ingest.services.pulls import pull_connection
from leaderboard.models import AuditEvent, UsageFact
from tests.factories import UserFactory

AUG3, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 5)


def pull(connection):
    return pull_connection(connection=connection, start=AUG3, end=AUG5, trigger="test")


def last_page_missing(api) -> None:
    """The provider says page 1 is the last: page 2's five facts are not in the pull."""
    first = api.usage_pages[None]
    first["has_more"], first["next_page"] = False, None


@pytest.fixture
def held(openai_connection, openai_api):
    pull(openai_connection)
    last_page_missing(openai_api)
    return pull(openai_connection)


def test_a_pull_whose_last_page_is_missing_holds_the_deletion_and_marks_the_run(
    openai_connection, held
):
    assert held.status == IngestRun.Status.HELD
    assert held.held == 5 and HeldFact.objects.filter(run=held).count() == 5
    assert "5 of the window's 9 stored fact(s)" in held.error
    assert UsageFact.objects.count() == 9  # nothing deleted


def test_a_manager_confirming_a_held_run_deletes_what_it_did_not_see(held):
    manager = UserFactory(username="manager")

    assert confirm_held_deletions(run=held, by=manager) == 5

    held.refresh_from_db()
    assert (held.status, held.held) == (IngestRun.Status.SUCCEEDED, 0)
    assert UsageFact.objects.count() == 4
    assert not HeldFact.objects.exists()
    event = AuditEvent.objects.get(action="held deletions confirmed")
    assert event.actor == manager and event.details == {"held": 5, "deleted": 5}
    assert confirm_held_deletions(run=held, by=manager) == 0  # confirmed once


def test_the_runs_admin_shows_the_held_count_and_its_action_confirms(manager_client, held):
    page = manager_client.get("/admin/ingest/ingestrun/")
    assert "deletions held for review" in page.content.decode()

    response = manager_client.post(
        "/admin/ingest/ingestrun/",
        {"action": "confirm_held_deletions", "_selected_action": [held.pk]},
        follow=True,
    )

    assert "5 held fact(s) deleted." in response.content.decode()
    assert UsageFact.objects.count() == 4
    assert AuditEvent.objects.get(action="held deletions confirmed").actor.username == "manager"


def test_a_later_pull_missing_the_same_facts_deletes_them(openai_connection, openai_api, held):
    again = pull(openai_connection)

    assert again.status == IngestRun.Status.SUCCEEDED and again.held == 0
    assert UsageFact.objects.count() == 4
    held.refresh_from_db()
    assert (held.status, held.held) == (IngestRun.Status.SUCCEEDED, 0)
    assert "settled by the pull" in held.error
    assert not HeldFact.objects.exists()
    assert pull(openai_connection).status == IngestRun.Status.SUCCEEDED  # idempotent
    assert UsageFact.objects.count() == 4


def test_a_later_complete_pull_keeps_the_held_facts_and_settles_the_hold(
    openai_connection, openai_api, held
):
    openai_api.usage_pages[None]["has_more"] = True
    openai_api.usage_pages[None]["next_page"] = next(k for k in openai_api.usage_pages if k)

    again = pull(openai_connection)

    assert again.status == IngestRun.Status.SUCCEEDED
    assert UsageFact.objects.count() == 9
    held.refresh_from_db()
    assert (held.status, held.held) == (IngestRun.Status.SUCCEEDED, 0)
    assert confirm_held_deletions(run=held) == 0  # nothing left to confirm
    assert UsageFact.objects.count() == 9


@override_settings(INGEST_PRUNE_MAX_SHARE=0.2)  # one fact of nine: a small revision
def test_a_small_genuine_revision_is_deleted_as_before(openai_connection, openai_api):
    pull(openai_connection)
    openai_api.usage_pages[next(k for k in openai_api.usage_pages if k)]["data"][0]["results"].pop()

    run = pull(openai_connection)

    assert run.status == IngestRun.Status.SUCCEEDED and run.held == 0
    assert UsageFact.objects.count() == 8
    assert pull(openai_connection).status == IngestRun.Status.SUCCEEDED
    assert UsageFact.objects.count() == 8
