"""Anthropic's Usage and Cost Analytics API, the legacy fallback, Claude Enterprise, and
usage two reports list counted once; against a real HTTP server (tests.stubs)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from ingest import tasks
from ingest.models import IngestRun, ReportPath, SetAside
from ingest.services.connections import check_connection, connect_provider
from ingest.services.pulls import pull_connection
from leaderboard.models import Account, PendingTask, UsageFact
from leaderboard.selectors import usage
from leaderboard.services import outbox
from leaderboard.services.usage import count_source
from tests.stubs import ADMIN_KEY, ANALYTICS_KEY, analytics_row, user_actor

AUG3, AUG4, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 4), dt.date(2026, 8, 5)
AUGUST = usage.month_of(AUG3)
CC = "claude-code"  # the Claude Code connection's source (tests.conftest)
ALICE = user_actor("user_01HkT9vQm2RsW8xLz4NpB6cD", "Alice.Nguyen@example.com", "Alice Nguyen")
BOB = user_actor("user_01JmR4tZq8WvN2kLx7HsC3pF", "bob.okafor@example.com", "Bob Okafor")
# service_account_actor: `service_account_id` ("Tagged service account ID."); api_actor:
# `{ type: "api_actor", api_key_id }` (https://platform.claude.com/docs/zh-CN/api/http/beta/organization/analytics.md)
DEPLOY_BOT = {"type": "service_account_actor", "service_account_id": "svac_01DeployBot"}
SCRIPT_KEY = {"type": "api_actor", "api_key_id": "apikey_01NightlyScript"}

# Alice's Claude Code usage on Aug 4, as the Claude Code report has it (tests/data/claude_code)
ALICE_CLAUDE_CODE_AUG4 = (38_000 + 410_000 + 16_000 + 11_500) + (
    (9_000 + 52_000 + 3_000 + 2_600) + (1_000 + 4_000 + 500 + 500)
)
BOB_CLAUDE_CODE_AUG5 = 21_000 + 150_000 + 7_000 + 6_900


def analytics_rows() -> dict[str, list[dict]]:
    """Aug 3-5 grouped by actor, model and product (rows in tests.stubs.analytics_row's
    reference shape)."""
    return {
        "2026-08-03": [
            # Claude Code on a day the Claude Code report does not have her: it counts
            analytics_row(
                "2026-08-03",
                actor=ALICE,
                model="claude-sonnet-5",
                product="claude_code",
                uncached_input_tokens=500,
                output_tokens=100,
                requests=5,
            ),
        ],
        "2026-08-04": [
            # the Claude Code report lists the same usage by e-mail: set aside
            analytics_row(
                "2026-08-04",
                actor=ALICE,
                model="claude-opus-4-6",
                product="claude_code",
                uncached_input_tokens=38_000,
                cache_read_input_tokens=410_000,
                ephemeral_5m_input_tokens=16_000,
                output_tokens=11_500,
                requests=40,
            ),
            # her chat that day is in no other report: it counts
            analytics_row(
                "2026-08-04",
                actor=ALICE,
                model="claude-opus-4-6",
                product="chat",
                uncached_input_tokens=1_000,
                ephemeral_1h_input_tokens=300,
                output_tokens=200,
                requests=3,
            ),
        ],
        "2026-08-05": [
            analytics_row(
                "2026-08-05",
                actor=BOB,
                model="claude-sonnet-5",
                product="claude_code",
                uncached_input_tokens=21_000,
                cache_read_input_tokens=150_000,
                ephemeral_5m_input_tokens=7_000,
                output_tokens=6_900,
                requests=12,
            ),
            analytics_row(
                "2026-08-05",
                actor=DEPLOY_BOT,
                model="claude-sonnet-5",
                product=None,
                uncached_input_tokens=7_000,
                output_tokens=700,
                requests=9,
            ),
            analytics_row(
                "2026-08-05",
                actor=SCRIPT_KEY,
                model="claude-haiku-5",
                product=None,
                uncached_input_tokens=300,
                requests=1,
            ),
            analytics_row(
                "2026-08-05",
                actor=None,
                model="claude-haiku-5",
                product=None,
                uncached_input_tokens=50,
                requests=1,
            ),
        ],
    }


def pull(connection, start: dt.date = AUG3, end: dt.date = AUG5) -> IngestRun:
    return pull_connection(connection=connection, start=start, end=end, trigger="test")


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}


def set_aside() -> list[tuple]:
    return sorted(
        (r.day, r.email, r.model, r.total_tokens, r.requests, r.standing.name)
        for r in SetAside.objects.select_related("standing")
    )


@pytest.fixture
def analytics_api(anthropic_api):
    anthropic_api.analytics_rows = analytics_rows()
    return anthropic_api


@pytest.fixture
def enterprise_connection(db, anthropic_api):
    """A Claude Enterprise organisation: its Analytics API key is its only key."""
    connection, _ = connect_provider(
        name="claude-enterprise",
        provider="anthropic",
        api_key=ANALYTICS_KEY,
        base_url=anthropic_api.base_url,
    )
    return connection


@pytest.fixture
def rechecks(monkeypatch):
    """Catches the pulls queued after commit; calling it runs them, as the worker would."""
    queued: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(outbox, "queue_on_commit", lambda task, *a, **kw: queued.append((a, kw)))

    def run_queued() -> list[int | None]:
        done = [tasks.pull_connection(*a, **kw) for a, kw in queued]
        queued.clear()
        return done

    run_queued.queued = queued
    return run_queued


def test_the_analytics_api_is_read_when_it_answers(anthropic_connection, analytics_api) -> None:
    first = pull(anthropic_connection)
    after_first = totals()
    second = pull(anthropic_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert first.rows == second.rows == 6  # alice's two opus rows (two products): one fact
    assert totals() == after_first
    anthropic_connection.refresh_from_db()
    assert anthropic_connection.report_path == ReportPath.ANALYTICS
    assert anthropic_connection.report_path_decided_at is not None
    assert analytics_api.usage_requests == []  # the legacy Messages report is never asked
    asked = [r for r in analytics_api.analytics_requests if r.args.getlist("group_by[]")]
    assert [(r.args["starting_at"], r.args.get("page")) for r in asked[:4]] == [
        ("2026-08-03T00:00:00Z", None),
        ("2026-08-04T00:00:00Z", None),
        ("2026-08-05T00:00:00Z", None),
        ("2026-08-05T00:00:00Z", "page_2"),  # a day's rows span pages
    ]
    assert asked[0].args["ending_at"] == "2026-08-04T00:00:00Z"
    assert asked[0].args.getlist("group_by[]") == ["actor", "model", "product"]
    assert asked[0].headers["anthropic-beta"] == "analytics-usage-cost-2026-08-24"
    # no other report lists anything here: every row counts, requests included
    opus = UsageFact.objects.get(account__external_id=ALICE["user_id"], day=AUG4)
    assert (opus.input, opus.cache_read, opus.cache_write, opus.output, opus.requests) == (
        38_000 + 1_000,
        410_000,
        16_000 + 300,
        11_500 + 200,
        40 + 3,
    )
    assert totals() == {
        "alice.nguyen@example.com": 600 + (475_500 + 1_500),
        "bob.okafor@example.com": BOB_CLAUDE_CODE_AUG5,
    }
    assert not SetAside.objects.exists()


def test_analytics_actors_are_people_agents_keys_or_unattributed(
    anthropic_connection, analytics_api
) -> None:
    pull(anthropic_connection)

    kinds = dict(Account.objects.filter(provider="anthropic").values_list("external_id", "kind"))
    assert kinds == {
        ALICE["user_id"]: Account.Kind.USER,
        BOB["user_id"]: Account.Kind.USER,
        "svac_01DeployBot": "agent",  # never a person's (i17-actors adds the kind)
        "apikey_01NightlyScript": Account.Kind.API_KEY,
        "": Account.Kind.UNATTRIBUTED,
    }
    alice = Account.objects.get(external_id=ALICE["user_id"])
    assert (alice.email, alice.person.email) == (
        "alice.nguyen@example.com",
        "alice.nguyen@example.com",
    )
    assert Account.objects.get(external_id="svac_01DeployBot").person is None


@override_settings(INGEST_PRUNE_MAX_SHARE=1.0)  # another report: most of the window revised
def test_a_404_from_the_analytics_api_falls_back_to_the_legacy_report_and_says_so(
    anthropic_connection, anthropic_api
) -> None:
    run = pull(anthropic_connection)  # the stub's analytics endpoint answers 404 by default

    assert (run.status, run.rows) == (IngestRun.Status.SUCCEEDED, 6)
    anthropic_connection.refresh_from_db()
    assert anthropic_connection.report_path == ReportPath.LEGACY
    assert anthropic_connection.get_report_path_display() == "Legacy Messages usage report"
    assert anthropic_api.usage_requests[0].path == "/v1/organizations/usage_report/messages"
    assert len(anthropic_api.analytics_requests) == 1  # one probe

    again = pull(anthropic_connection)
    assert (again.status, len(anthropic_api.analytics_requests)) == ("succeeded", 1)

    # a day later it asks again, and moves over once the organisation has the API
    anthropic_api.analytics_rows = analytics_rows()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        later = pull(anthropic_connection)
    anthropic_connection.refresh_from_db()
    assert (later.status, anthropic_connection.report_path) == ("succeeded", "analytics")


def test_a_403_from_the_analytics_api_falls_back_to_the_legacy_report(
    anthropic_connection, anthropic_api
) -> None:
    anthropic_api.analytics_status = 403

    run = pull(anthropic_connection)

    anthropic_connection.refresh_from_db()
    assert (run.status, run.rows, anthropic_connection.report_path) == ("succeeded", 6, "legacy")


def test_an_analytics_key_without_the_analytics_api_fails_saying_why(
    enterprise_connection, anthropic_api
) -> None:
    anthropic_api.analytics_status = 403

    run = pull(enterprise_connection)

    assert run.status == IngestRun.Status.FAILED
    assert "Usage and Cost Analytics API is not available" in run.error
    assert "An Analytics API key (read:analytics" in run.error
    assert "403" in run.error and ANALYTICS_KEY not in run.error
    assert not UsageFact.objects.exists()
    enterprise_connection.refresh_from_db()
    assert enterprise_connection.report_path == ""  # not decided: the next pull asks again


def test_enterprise_seat_users_claude_code_counts_through_the_analytics_key(
    enterprise_connection, analytics_api
) -> None:
    first = pull(enterprise_connection)
    after_first = totals()
    second = pull(enterprise_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert totals() == after_first
    enterprise_connection.refresh_from_db()
    assert enterprise_connection.report_path == ReportPath.ANALYTICS
    # no users list (the Admin API refuses the key): the rows name their people
    assert analytics_api.usage_requests == []
    sonnet = UsageFact.objects.get(account__external_id=ALICE["user_id"], day=AUG3)
    assert (sonnet.account.person.email, sonnet.total_tokens, sonnet.requests) == (
        "alice.nguyen@example.com",
        600,
        5,
    )
    assert totals()["bob.okafor@example.com"] == BOB_CLAUDE_CODE_AUG5


def test_a_person_in_both_reports_on_the_same_days_is_counted_once(
    anthropic_connection, claude_code_connection, analytics_api
) -> None:
    pull(claude_code_connection)
    claude_code_only = totals()
    pull(anthropic_connection)
    after_first = (totals(), set_aside())
    pull(claude_code_connection)
    pull(anthropic_connection)

    assert (totals(), set_aside()) == after_first
    # Aug 4: the Claude Code report stands for Alice's Claude Code; her chat counts too.
    # Aug 3: only the analytics report has her Claude Code, so it counts.
    assert totals()["alice.nguyen@example.com"] == (
        claude_code_only["alice.nguyen@example.com"] + 600 + 1_500
    )
    assert totals()["bob.okafor@example.com"] == claude_code_only["bob.okafor@example.com"]
    assert set_aside() == [
        (AUG4, "alice.nguyen@example.com", "claude-opus-4-6", 475_500, 40, CC),
        (
            AUG5,
            "bob.okafor@example.com",
            "claude-sonnet-5",
            BOB_CLAUDE_CODE_AUG5,
            12,
            "claude-code",
        ),
    ]
    standing = UsageFact.objects.filter(source=claude_code_connection.source, day=AUG4)
    alices = [f for f in standing if f.account.email == "alice.nguyen@example.com"]
    assert sum(f.total_tokens for f in alices) == ALICE_CLAUDE_CODE_AUG4  # these stand
    row = SetAside.objects.get(email="alice.nguyen@example.com")
    assert row.reason == (
        "alice.nguyen@example.com is in source 'claude-code' (claude_code) on 2026-08-04, which "
        "lists this claude_code usage again; its figures stand for that person and day, so "
        "'anthropic-main' does not count it."
    )
    assert row.person.email == "alice.nguyen@example.com"
    # what was set aside is in no fact of the Anthropic source
    chat_only = UsageFact.objects.get(source=anthropic_connection.source, day=AUG4)
    assert (chat_only.input, chat_only.requests) == (1_000, 3)


def test_usage_set_aside_counts_again_once_the_other_source_no_longer_does(
    anthropic_connection, claude_code_connection, analytics_api
) -> None:
    pull(claude_code_connection)
    pull(anthropic_connection)
    count_source(source=claude_code_connection.source, counted=False)

    pull(anthropic_connection)

    assert not SetAside.objects.exists()
    assert totals() == {
        "alice.nguyen@example.com": 600 + (475_500 + 1_500),
        "bob.okafor@example.com": BOB_CLAUDE_CODE_AUG5,
    }


@override_settings(INGEST_PRUNE_MAX_SHARE=1.0)  # another report: most of the window revised
def test_a_claude_code_pull_after_the_analytics_one_makes_it_decide_again(
    anthropic_connection, claude_code_connection, analytics_api, rechecks
) -> None:
    pull(anthropic_connection)
    pull(claude_code_connection)

    assert rechecks.queued == [
        (
            (anthropic_connection.pk,),
            {"trigger": "recheck", "start": "2026-08-03", "end": "2026-08-05"},
        )
    ]
    rechecks()
    counted_once = (totals(), set_aside())

    # the same as when the Claude Code report was pulled first
    SetAside.objects.all().delete()
    UsageFact.objects.all().delete()
    pull(claude_code_connection)
    pull(anthropic_connection)
    assert (totals(), set_aside()) == counted_once
    assert len(counted_once[1]) == 2


def test_a_claude_code_pull_that_changes_nothing_queues_no_recheck(
    anthropic_connection, claude_code_connection, analytics_api, rechecks
) -> None:
    pull(claude_code_connection)
    rechecks.queued.clear()

    pull(claude_code_connection)

    assert rechecks.queued == []


def test_legacy_oauth_usage_of_a_person_in_the_claude_code_report_is_set_aside(
    anthropic_connection, claude_code_connection, anthropic_api
) -> None:
    pull(claude_code_connection)
    claude_code_only = totals()
    pull(anthropic_connection)  # the analytics endpoint answers 404: the Messages report
    after_first = (totals(), set_aside())
    pull(anthropic_connection)

    assert (totals(), set_aside()) == after_first
    # Dev is in both on Aug 5: the Claude Code report stands; his Aug 3 Messages usage counts
    dev_aug3 = 15_000 + 30_000 + 2_000 + 4_100
    assert totals()["dev.patel@example.com"] == claude_code_only["dev.patel@example.com"] + dev_aug3
    dev_aug5 = 3_000_000_000 + 2_500_000_000 + 400_000_000 + 2_200_000_000
    assert set_aside() == [
        (AUG5, "dev.patel@example.com", "claude-opus-4-6", dev_aug5, 0, "claude-code")
    ]
    # usage with no account (not OAuth) is never set aside
    assert UsageFact.objects.get(account__external_id="", source=anthropic_connection.source)


def test_the_admin_shows_the_report_read_and_what_was_set_aside(
    admin_client, anthropic_connection, claude_code_connection, analytics_api
) -> None:
    pull(claude_code_connection)
    pull(anthropic_connection)

    connections = admin_client.get("/admin/ingest/connection/").content.decode()
    assert "Usage and Cost Analytics API" in connections
    change = admin_client.get(
        f"/admin/ingest/connection/{anthropic_connection.pk}/change/"
    ).content.decode()
    assert "Usage and Cost Analytics API" in change and "Report path decided at" in change
    listed = admin_client.get("/admin/ingest/setaside/").content.decode()
    assert "alice.nguyen@example.com" in listed
    assert "its figures stand for that person and day" in listed
    assert ADMIN_KEY not in listed


def test_test_connection_says_which_report_pulls_read(anthropic_connection, anthropic_api) -> None:
    said = check_connection(connection=anthropic_connection)
    assert said.startswith("Anthropic answered; the key can list users (2 shown).")
    assert "Pulls read the legacy Messages report: GET /v1/organizations/analytics/usage" in said
    assert "answered 404" in said

    anthropic_api.analytics_rows = analytics_rows()
    assert check_connection(connection=anthropic_connection) == (
        "Anthropic answered; pulls read the Usage and Cost Analytics API."
    )


def test_a_claude_code_pull_with_the_broker_down_finishes_and_keeps_its_recheck(
    anthropic_connection,
    claude_code_connection,
    analytics_api,
    monkeypatch,
    django_capture_on_commit_callbacks,
) -> None:
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.pull_connection, "delay", broker_down)
    monkeypatch.setattr(outbox, "_skip_until", 0.0)

    with django_capture_on_commit_callbacks(execute=True):
        run = pull(claude_code_connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    kept = PendingTask.objects.get()
    assert (kept.task, kept.args) == ("ingest.pull_connection", [anthropic_connection.pk])
    assert kept.kwargs == {"trigger": "recheck", "start": "2026-08-03", "end": "2026-08-05"}
