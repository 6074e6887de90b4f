from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from ingest.models import Connection, IngestRun
from ingest.providers.demo import PLANTED, demo_people, planted_on
from leaderboard.models import Account, Board, Flag, Person, Source, Team, UsageFact, total_tokens
from tests.stubs import ADMIN_KEY


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_connect_provider_stores_the_key_from_the_environment_encrypted(
    db, monkeypatch, openai_api
):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)

    out = run(
        "connect_provider",
        "openai-main",
        "--provider",
        "openai",
        "--api-key-env",
        "OPENAI_ADMIN_KEY",
        "--base-url",
        openai_api.base_url,
    )

    connection = Connection.objects.get(name="openai-main")
    assert "Created connection openai-main" in out
    assert ADMIN_KEY not in connection.encrypted_api_key
    assert connection.api_key == ADMIN_KEY
    assert connection.source == Source.objects.get(name="openai-main", provider="openai")


def test_connect_provider_defaults_to_the_real_api_and_updates_in_place(db, monkeypatch) -> None:
    monkeypatch.setenv("KEY", "sk-admin-1")
    run("connect_provider", "openai-main", "--provider", "openai", "--api-key-env", "KEY")
    monkeypatch.setenv("KEY", "sk-admin-2")

    out = run("connect_provider", "openai-main", "--provider", "openai", "--api-key-env", "KEY")

    connection = Connection.objects.get()
    assert "Updated connection" in out
    assert connection.base_url == "https://api.openai.com"
    assert connection.api_key == "sk-admin-2"


def test_connect_provider_refuses_a_missing_key(db) -> None:
    with pytest.raises(CommandError, match="NOPE is not set"):
        run("connect_provider", "x", "--provider", "openai", "--api-key-env", "NOPE")
    assert not Connection.objects.exists()


def test_connect_provider_refuses_a_plain_http_or_internal_base_url(
    db, monkeypatch, settings
) -> None:
    settings.INGEST_ALLOW_PRIVATE_URLS = False
    monkeypatch.setenv("KEY", "sk-admin-1")
    connect = ["connect_provider", "openai-main", "--provider", "openai", "--api-key-env", "KEY"]

    with pytest.raises(CommandError, match="is not https://"):
        run(*connect, "--base-url", "http://collector.example.com")
    with pytest.raises(CommandError, match=r"169\.254\.169\.254 is a link-local address"):
        run(*connect, "--base-url", "https://169.254.169.254")
    assert not Connection.objects.exists()


def test_connect_provider_moves_a_connection_only_with_its_key(db, openai_connection) -> None:
    from ingest.services.connections import connect_provider

    with pytest.raises(ValueError, match="give the admin key again"):
        connect_provider(
            name="openai-main", provider="openai", base_url="https://collector.example.com"
        )
    connect_provider(
        name="openai-main",
        provider="openai",
        base_url="https://collector.example.com",
        api_key="sk-admin-2",
    )

    openai_connection.refresh_from_db()
    assert openai_connection.base_url == "https://collector.example.com"
    assert openai_connection.api_key == "sk-admin-2"


def test_pull_usage_pulls_an_inclusive_window_and_prints_a_summary(openai_connection) -> None:
    out = run("pull_usage", "openai-main", "--start", "2026-08-03", "--end", "2026-08-05")

    assert "openai-main: succeeded, 2026-08-03..2026-08-05, 2 pages, 9 rows" in out
    assert UsageFact.objects.count() == 9


def test_pull_usage_exits_non_zero_with_the_reason_when_a_pull_fails(openai_connection, openai_api):
    del openai_api.usage_pages[None]["has_more"]

    with pytest.raises(CommandError, match="1 pull"):
        run("pull_usage", "--start", "2026-08-03", "--end", "2026-08-05")

    assert "page 1: required field 'has_more' is missing" in IngestRun.objects.get().error


def test_pull_usage_reports_rejected_rows_without_failing(openai_connection, openai_api) -> None:
    openai_api.usage_pages[None]["data"][0]["results"][0]["model"] = 42

    out = run("pull_usage", "--start", "2026-08-03", "--end", "2026-08-05")

    assert "partial" in out and "1 rows rejected" in out


def test_pull_usage_names_connections_it_does_not_know(db) -> None:
    with pytest.raises(CommandError, match="no connection named nope"):
        run("pull_usage", "nope")


def test_export_usage_prints_per_person_totals_and_unattributed_rows(openai_connection) -> None:
    run("pull_usage", "--start", "2026-08-03", "--end", "2026-08-05")

    out = run("export_usage", "--start", "2026-08-03", "--end", "2026-08-05")

    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "email",
        "source",
        "input",
        "output",
        "cache_read",
        "cache_write",
        "requests",
        "cost_usd",
        "cost_estimated",
        "cost_basis",
        "watermark",  # the viewer's code (issue 20 §4)
    ]
    by_email = {r["email"]: r for r in rows if r["email"]}
    alice = by_email["alice.nguyen@example.com"]
    assert (
        alice["input"],
        alice["cache_read"],
        alice["cache_write"],
        alice["output"],
        alice["requests"],
    ) == ("66000", "24000", "1500", "9000", "29")
    assert (alice["cost_estimated"], alice["cost_basis"]) == ("true", "estimated")
    unowned = [(r["source"], r["input"]) for r in rows if not r["email"]]
    # Dev's unknown account and the null-user traffic, one row for their source
    assert unowned == [("openai-main", str(2_400_000_000 + 60_000))]


def test_export_usage_splits_by_source_and_speaks_json(openai_connection) -> None:
    run("pull_usage", "--start", "2026-08-03", "--end", "2026-08-05")

    out = run(
        "export_usage",
        "--start",
        "2026-08-03",
        "--end",
        "2026-08-03",
        "--by-source",
        "--format",
        "json",
    )

    rows = json.loads(out)
    assert {(r["email"], r["source"], r["output"]) for r in rows} == {
        ("alice.nguyen@example.com", "openai-main", 6_200),
        ("bob.okafor@example.com", "openai-main", 2_100),
    }


def test_seed_demo_loads_a_company_through_ingest_and_is_safe_twice(db) -> None:
    run("seed_demo", "--days", "14")
    facts = list(
        UsageFact.objects.order_by("pk").values_list(
            "source__name", "day", "account__external_id", "model", "input", "output", "cost"
        )
    )

    out = run("seed_demo", "--days", "14")

    assert "Demo data ready: 60 people" in out
    assert Person.objects.count() == 60
    assert Team.objects.count() == 6
    assert set(Source.objects.values_list("name", flat=True)) == {
        "demo-openai",
        "demo-anthropic",
        "demo-cursor",
        "demo-litellm",
        "demo-claude-code-otel",  # an OpenTelemetry receiver, fed the way exporters send
        "demo-copilot",
    }
    assert (
        list(
            UsageFact.objects.order_by("pk").values_list(
                "source__name",
                "day",
                "account__external_id",
                "model",
                "input",
                "output",
                "cost",
            )
        )
        == facts
    )
    assert IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).count() == 12  # 6, twice
    agents = Account.objects.filter(kind=Account.Kind.AGENT)
    assert {(a.external_id, a.person, a.owner_email) for a in agents} == {
        ("svc-nightly-evals", None, demo_people()[1].email),
        ("svc-bugbot", None, demo_people()[4].email),
        ("review-helper[bot]", None, demo_people()[2].email),
    }
    assert UsageFact.objects.filter(account__in=agents).exists()
    manager = Person.objects.get(email=demo_people()[0].email).user
    assert manager.is_staff and not manager.is_superuser
    assert manager.groups.filter(name="Leaderboard managers").exists()


@pytest.mark.parametrize(
    ("provider", "base_url"),
    [
        ("anthropic", "https://api.anthropic.com"),
        ("claude_code", "https://api.anthropic.com"),
        ("cursor", "https://api.cursor.com"),
    ],
)
def test_connect_provider_knows_every_provider(db, monkeypatch, provider, base_url) -> None:
    monkeypatch.setenv("KEY", "sk-admin-1")

    run(
        "connect_provider",
        f"{provider}-main".replace("_", "-"),
        "--provider",
        provider,
        "--api-key-env",
        "KEY",
    )

    assert Connection.objects.get(provider=provider).base_url == base_url


def test_seed_demo_plants_burners_and_loops_that_the_rules_hold_and_nobody_else(
    db, gaming_detection, gaming_rules
) -> None:
    run("seed_demo", "--days", "90")

    days = sorted(set(UsageFact.objects.values_list("day", flat=True)))
    by_email = dict(Person.objects.values_list("email", "pk"))
    emails = {p.index: p.email for p in demo_people()}
    planted = {
        (by_email[emails[index]], day)
        for index, (_, shape) in PLANTED.items()
        for day in days
        if planted_on(shape, day)
    }
    flagged = set(Flag.objects.values_list("person", "day"))
    assert {by_email[emails[i]] for i in PLANTED} == {person for person, _ in planted}
    assert flagged == planted  # every planted day, and no other
    held = set(UsageFact.objects.filter(held=True).values_list("account__person", "day"))
    assert held == planted


def test_seed_scale_builds_an_organisation_with_a_heavy_tail_and_an_all_time_board(db) -> None:
    run("seed_scale", "--people", "200", "--days", "14", "--seed", "3")
    run("seed_scale", "--people", "200", "--days", "14", "--seed", "3")  # replaces, no doubles

    people = Person.objects.filter(email__endswith="@scale.example.com")
    assert people.count() == 200
    totals = sorted(
        people.annotate(tokens=Sum(total_tokens("accounts__usage__"))).values_list(
            "tokens", flat=True
        ),
        key=lambda t: t or 0,
    )
    top, median = totals[-1], totals[len(totals) // 2]
    assert top > 20 * median  # a heavy tail
    facts = UsageFact.objects.filter(source__name__startswith="scale-")
    weekdays = facts.filter(day__week_day__in=[2, 3, 4, 5, 6]).count() / 5
    weekends = facts.filter(day__week_day__in=[1, 7]).count() / 2
    assert weekends < weekdays / 2  # weekends are quieter
    assert Board.objects.get(slug="hall-of-fame").period == Board.Period.ALL_TIME
