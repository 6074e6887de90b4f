from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest.models import Connection, IngestRun, RejectedRow
from leaderboard.models import Source, UsageFact
from tests.factories import UserFactory

FILES = Path(__file__).parent.parent / "data" / "files"


@pytest.fixture
def manager_client(client, db):
    client.force_login(UserFactory(username="manager", is_staff=True, is_superuser=True))
    return client


def test_manager_uploads_a_usage_file_and_sees_what_was_rejected(manager_client) -> None:
    with (FILES / "gateway.csv").open("rb") as upload:
        response = manager_client.post(
            "/admin/ingest/connection/import/", {"source": "gateway", "file": upload}, follow=True
        )

    page = response.content.decode()
    assert "Imported gateway.csv: 3 rows, 7 rejected." in page
    run = IngestRun.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/ingest/ingestrun/{run.pk}/change/"
    listing = manager_client.get("/admin/ingest/rejectedrow/", {"run__id__exact": run.pk})
    assert "model is empty" in listing.content.decode()
    assert Connection.objects.get(name="gateway").source == Source.objects.get(name="gateway")


def test_test_connection_action_reports_what_the_provider_said(manager_client, openai_connection):
    response = manager_client.post(
        "/admin/ingest/connection/",
        {"action": "test_connection", "_selected_action": [openai_connection.pk]},
        follow=True,
    )

    assert (
        "Connection openai-main: OpenAI answered; the key can list users"
        in response.content.decode()
    )


def test_test_connection_action_names_a_bad_key(manager_client, openai_connection) -> None:
    openai_connection.api_key = "sk-wrong"
    openai_connection.save()

    response = manager_client.post(
        "/admin/ingest/connection/",
        {"action": "test_connection", "_selected_action": [openai_connection.pk]},
        follow=True,
    )

    assert "refused the admin key of connection &#x27;openai-main&#x27;" in (
        response.content.decode()
    )


def test_excluding_a_connection_keeps_its_facts_out_of_totals(manager_client, openai_connection):
    from ingest.services import pull_connection
    from leaderboard.selectors import month_of, standings

    pull_connection(
        connection=openai_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
    )
    manager_client.post(
        "/admin/ingest/connection/",
        {"action": "exclude_from_totals", "_selected_action": [openai_connection.pk]},
    )

    assert not standings(period=month_of(dt.date(2026, 8, 3))).exists()
    assert UsageFact.objects.count() == 9
    assert not RejectedRow.objects.exists()


def test_ingest_runs_show_progress_counts_and_duration(manager_client, openai_connection) -> None:
    from ingest.services import pull_connection

    pull_connection(
        connection=openai_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
    )

    page = manager_client.get("/admin/ingest/ingestrun/").content.decode()
    assert "succeeded" in page.lower()
    assert ">9<" in page  # rows


def test_a_file_source_added_in_the_admin_keeps_its_own_account_namespace(manager_client) -> None:
    manager_client.post(
        "/admin/ingest/connection/add/",
        {"name": "gateway", "provider": "file", "base_url": "-", "pull_every_minutes": "60"},
    )

    assert Connection.objects.get(name="gateway").source.provider == "file:gateway"
