from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest.models import Connection, IngestRun, RejectedRow
from leaderboard.models import AuditEvent, Source, UsageFact
from leaderboard.people import set_manager
from tests.factories import UserFactory
from tests.stubs import ADMIN_KEY

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


@pytest.fixture
def group_manager_client(client, db):
    """A manager by group membership only, as grant_manager makes them (no superuser)."""
    client.force_login(set_manager(user=UserFactory(username="carol"), manager=True))
    return client


def connection_form(connection: Connection, **changes: str) -> dict[str, str]:
    return {
        "name": connection.name,
        "provider": connection.provider,
        "base_url": connection.base_url,
        "enabled": "on",
        "pull_every_minutes": "60",
        "new_api_key": "",
        **changes,
    }


def test_a_manager_cannot_point_a_connection_elsewhere_without_its_key(
    group_manager_client, openai_connection, httpserver
) -> None:
    url = f"/admin/ingest/connection/{openai_connection.pk}/change/"
    listener = httpserver.url_for("/listener")

    response = group_manager_client.post(url, connection_form(openai_connection, base_url=listener))

    assert response.status_code == 200
    assert "Enter the admin key again to change the base URL" in response.content.decode()
    openai_connection.refresh_from_db()
    assert openai_connection.base_url != listener
    assert openai_connection.api_key == ADMIN_KEY
    assert not AuditEvent.objects.filter(action="connection changed").exists()


def test_a_manager_who_types_the_key_may_move_the_connection(
    group_manager_client, openai_connection, httpserver
) -> None:
    url = f"/admin/ingest/connection/{openai_connection.pk}/change/"
    moved = httpserver.url_for("/v2")

    response = group_manager_client.post(
        url, connection_form(openai_connection, base_url=moved, new_api_key="sk-admin-new")
    )

    assert response.status_code == 302
    openai_connection.refresh_from_db()
    assert (openai_connection.base_url, openai_connection.api_key) == (moved, "sk-admin-new")


def test_the_admin_refuses_a_base_url_a_key_may_not_be_sent_to(
    group_manager_client, db, settings
) -> None:
    settings.INGEST_ALLOW_PRIVATE_URLS = False

    response = group_manager_client.post(
        "/admin/ingest/connection/add/",
        {
            "name": "sneaky",
            "provider": "openai",
            "base_url": "https://10.0.0.8:8443",
            "pull_every_minutes": "60",
            "new_api_key": "sk-admin-typed",
        },
    )

    assert response.status_code == 200
    assert "10.0.0.8 is a private address" in response.content.decode()
    assert not Connection.objects.filter(name="sneaky").exists()


def test_test_connection_never_shows_a_key_the_provider_echoes(
    group_manager_client, openai_connection, openai_api
) -> None:
    openai_connection.api_key = "wrong-but-real-looking-key"
    openai_connection.save()
    openai_api.unauthorized = {"error": {"message": "no such key: wrong-but-real-looking-key"}}

    response = group_manager_client.post(
        "/admin/ingest/connection/",
        {"action": "test_connection", "_selected_action": [openai_connection.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "no such key: [redacted]" in page
    assert "wrong-but-real-looking-key" not in page
