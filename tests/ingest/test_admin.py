from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from ingest import tasks
from ingest.models import Connection, IngestRun, RejectedRow, UploadChunk
from leaderboard.models import AuditEvent, Source, UsageFact
from leaderboard.services import outbox
from tests.stubs import ADMIN_KEY

FILES = Path(__file__).parent.parent / "data" / "files"


@pytest.fixture
def worker(monkeypatch):
    """Catches the imports the admin queues; calling it runs them, as the worker would."""
    queued: list[int] = []
    monkeypatch.setattr(outbox, "queue_on_commit", lambda task, run_id: queued.append(run_id))

    def run_queued() -> list[str | None]:
        return [tasks.import_upload(run_id) for run_id in queued]

    run_queued.queued = queued
    return run_queued


def upload(client, name: str = "gateway.csv", source: str = "gateway", **extra):
    with (FILES / name).open("rb") as file:
        return client.post(
            "/admin/ingest/connection/import/", {"source": source, "file": file}, **extra
        )


def test_an_uploaded_usage_file_is_imported_in_the_background_with_its_progress_shown(
    manager_client, worker
) -> None:
    response = upload(manager_client, follow=True)

    run = IngestRun.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/ingest/ingestrun/{run.pk}/change/"
    page = response.content.decode()
    assert "Queued gateway.csv (716\xa0bytes) for import." in page
    assert (run.status, run.file_name, worker.queued) == ("queued", "gateway.csv", [run.pk])
    assert not UsageFact.objects.exists()  # nothing was imported inside the request

    assert worker() == [IngestRun.Status.PARTIAL]

    run.refresh_from_db()
    assert (run.rows, run.rejected, run.finished_at is not None) == (3, 7, True)
    assert not UploadChunk.objects.exists()  # the upload is dropped once imported
    page = manager_client.get(f"/admin/ingest/ingestrun/{run.pk}/change/").content.decode()
    assert "Succeeded, some rows rejected" in page
    listing = manager_client.get("/admin/ingest/rejectedrow/", {"run__id__exact": run.pk})
    assert "model is empty" in listing.content.decode()
    assert Connection.objects.get(name="gateway").source == Source.objects.get(name="gateway")


def test_an_upload_read_back_in_many_chunks_is_the_same_file(
    manager_client, worker, monkeypatch
) -> None:
    monkeypatch.setattr("ingest.services.uploads.UPLOAD_CHUNK_BYTES", 100)
    upload(manager_client)

    worker()

    assert UsageFact.objects.count() == 3
    assert IngestRun.objects.get().rejected == 7


def test_a_worker_that_gets_the_same_import_twice_imports_it_once(manager_client, worker) -> None:
    upload(manager_client)
    run_id = worker.queued[0]

    assert [*worker(), tasks.import_upload(run_id)] == ["partial", "partial"]
    assert IngestRun.objects.get().rows == 3


def test_a_file_over_the_admin_size_limit_is_refused_with_the_limit_and_a_way_out(
    manager_client, worker, settings
) -> None:
    settings.IMPORT_MAX_BYTES = 700

    page = upload(manager_client).content.decode()

    assert (
        "gateway.csv is 716\xa0bytes; the admin imports files of up to 700\xa0bytes "
        "(IMPORT_MAX_BYTES). Split it, or import it with `manage.py import_usage`." in page
    )
    assert not IngestRun.objects.exists() and not worker.queued


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a" * 36, "Ensure this value has at most 35 characters (it has 36)."),
        ("gate way", "Enter a valid “slug”"),
        ("openai-main", "pulls from openai, not file; choose another name"),
    ],
)
def test_an_upload_names_a_source_it_can_import_into(
    manager_client, worker, openai_connection, source, error
) -> None:
    response = upload(manager_client, source=source)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not IngestRun.objects.exists()


def test_a_file_connection_added_in_the_admin_has_a_name_its_accounts_can_carry(
    manager_client,
) -> None:
    response = manager_client.post(
        "/admin/ingest/connection/add/",
        {"name": "g" * 40, "provider": "file", "base_url": "-", "pull_every_minutes": "60"},
    )

    assert response.status_code == 200
    assert "a source name has at most 35 characters" in response.content.decode()
    assert not Connection.objects.exists()


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
    from ingest.services.pulls import pull_connection
    from leaderboard.selectors.usage import month_of, standings

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
    from ingest.services.pulls import pull_connection

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


def test_a_file_connection_saved_in_the_admin_is_never_pulled_on_a_schedule(
    manager_client,
) -> None:
    """The admin saves through connections.save_connection, which keeps a file source off the
    schedule as connect_provider does: `pull_usage` pulls every enabled connection, and a file
    has nothing to pull."""
    add = {"name": "gateway", "provider": "file", "base_url": "-", "pull_every_minutes": "60"}
    manager_client.post("/admin/ingest/connection/add/", {**add, "enabled": "on"})
    gateway = Connection.objects.get(name="gateway")
    manager_client.post(f"/admin/ingest/connection/{gateway.pk}/change/", connection_form(gateway))

    gateway.refresh_from_db()
    assert not gateway.enabled
    call_command("pull_usage", stdout=io.StringIO(), stderr=io.StringIO())
    assert not IngestRun.objects.exists()
    # (the manager persona's own "manager granted" comes first: made as grant_manager makes one)
    trail = AuditEvent.objects.filter(target_type="ingest.Connection").order_by("pk")
    assert list(trail.values_list("action", flat=True)) == [
        "connection created",
        "connection changed",
    ]


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
    manager_client, openai_connection, httpserver
) -> None:
    url = f"/admin/ingest/connection/{openai_connection.pk}/change/"
    listener = httpserver.url_for("/listener")

    response = manager_client.post(url, connection_form(openai_connection, base_url=listener))

    assert response.status_code == 200
    assert "Enter the admin key again to change the base URL" in response.content.decode()
    openai_connection.refresh_from_db()
    assert openai_connection.base_url != listener
    assert openai_connection.api_key == ADMIN_KEY
    assert not AuditEvent.objects.filter(action="connection changed").exists()


def test_a_manager_who_types_the_key_may_move_the_connection(
    manager_client, openai_connection, httpserver
) -> None:
    url = f"/admin/ingest/connection/{openai_connection.pk}/change/"
    moved = httpserver.url_for("/v2")

    response = manager_client.post(
        url, connection_form(openai_connection, base_url=moved, new_api_key="sk-admin-new")
    )

    assert response.status_code == 302
    openai_connection.refresh_from_db()
    assert (openai_connection.base_url, openai_connection.api_key) == (moved, "sk-admin-new")


def test_the_admin_refuses_a_base_url_a_key_may_not_be_sent_to(
    manager_client, db, settings
) -> None:
    settings.INGEST_ALLOW_PRIVATE_URLS = False

    response = manager_client.post(
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


def test_a_connection_added_without_a_base_url_reads_its_providers_own_api(
    manager_client, db
) -> None:
    add = {"provider": "openai", "pull_every_minutes": "60", "new_api_key": "sk-admin-typed"}

    response = manager_client.post("/admin/ingest/connection/add/", {**add, "name": "openai-main"})

    assert response.status_code == 302
    assert Connection.objects.get(name="openai-main").base_url == "https://api.openai.com"


def test_a_proxy_added_without_its_address_is_refused_with_why(manager_client, db) -> None:
    response = manager_client.post(
        "/admin/ingest/connection/add/",
        {"name": "gateway", "provider": "litellm", "pull_every_minutes": "60"},
    )

    assert response.status_code == 200
    assert "This provider has no default address: give its URL." in response.content.decode()
    assert not Connection.objects.exists()


def test_test_connection_never_shows_a_key_the_provider_echoes(
    manager_client, openai_connection, openai_api
) -> None:
    openai_connection.api_key = "wrong-but-real-looking-key"
    openai_connection.save()
    openai_api.unauthorized = {"error": {"message": "no such key: wrong-but-real-looking-key"}}

    response = manager_client.post(
        "/admin/ingest/connection/",
        {"action": "test_connection", "_selected_action": [openai_connection.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "no such key: [redacted]" in page
    assert "wrong-but-real-looking-key" not in page


def test_an_upload_whose_message_was_lost_is_queued_again_and_imported(
    manager_client, worker, monkeypatch
) -> None:
    upload(manager_client)  # the message is lost: worker.queued is never run
    run = IngestRun.objects.get()
    sent: list[int] = []
    monkeypatch.setattr(tasks.import_upload, "delay", sent.append)

    assert tasks.requeue_stale_uploads() == []  # still fresh: its worker may be on it

    with time_machine.travel(run.started_at + dt.timedelta(minutes=11)):
        assert tasks.requeue_stale_uploads() == [run.pk]
    assert [tasks.import_upload(run_id) for run_id in sent] == ["partial"]
    assert UsageFact.objects.count() == 3
    with time_machine.travel(run.started_at + dt.timedelta(minutes=30)):
        assert tasks.requeue_stale_uploads() == []  # imported: nothing more to queue
