"""Anthropic Messages usage and Claude Code analytics against a real HTTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ingest.models import IngestRun
from ingest.services import pull_connection
from leaderboard import selectors
from leaderboard.models import Account, Person, UsageFact

AUG3, AUG5, AUG6 = dt.date(2026, 8, 3), dt.date(2026, 8, 5), dt.date(2026, 8, 6)
AUGUST = selectors.month_of(AUG3)


def pull(connection, end: dt.date = AUG5):
    return pull_connection(connection=connection, start=AUG3, end=end, trigger="test")


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in selectors.standings(period=AUGUST)}


def counts(fact: UsageFact) -> tuple[int, ...]:
    return (fact.input, fact.cache_read, fact.cache_write, fact.output, fact.requests)


def test_messages_pull_twice_gives_identical_totals(anthropic_connection, anthropic_api) -> None:
    first = pull(anthropic_connection, end=AUG6)
    after_first = totals()
    second = pull(anthropic_connection, end=AUG6)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert (first.pages, first.rows) == (second.pages, second.rows) == (2, 6)
    assert (
        totals()
        == after_first
        == {
            # uncached input + cache reads + both cache writes + output
            "dev.patel@example.com": (15_000 + 30_000 + 2_000 + 4_100)
            + (3_000_000_000 + 2_500_000_000 + 400_000_000 + 2_200_000_000),
            "alice.nguyen@example.com": (3_200 + 120_000 + 8_000 + 2_400) + (2_500 + 40_000 + 900),
            "bob.okafor@example.com": 7_000 + 9_000 + 1_500 + 1_800,
        }
    )
    request = anthropic_api.usage_requests[0]
    assert request.args["starting_at"] == "2026-08-03T00:00:00Z"
    assert request.args["ending_at"] == "2026-08-07T00:00:00Z"
    assert request.args.getlist("group_by[]") == [
        "account_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
    ]


def test_messages_map_cache_fields_and_record_no_requests(anthropic_connection) -> None:
    pull(anthropic_connection)

    alice = UsageFact.objects.get(account__external_id="user_01HkT9vQm2RsW8xLz4NpB6cD", day=AUG3)
    assert counts(alice) == (3_200, 120_000, 8_000, 2_400, 0)
    dev = UsageFact.objects.get(account__external_id="user_01KpW7nXr3TzQ9mVb5LsD8hG", day=AUG5)
    assert counts(dev) == (3_000_000_000, 2_500_000_000, 400_000_000, 2_200_000_000, 0)
    # claude-opus-4-6 at its list price: $5 input, $0.50 cache read, $6.25 5-minute write,
    # $25 output per million (https://platform.claude.com/docs/en/about-claude/pricing)
    assert (alice.cost, alice.cost_estimated) == (Decimal("0.186"), True)


def test_messages_match_emails_whatever_their_case(anthropic_connection, alice) -> None:
    pull(anthropic_connection)

    account = Account.objects.get(external_id="user_01HkT9vQm2RsW8xLz4NpB6cD")
    assert account.person == alice
    assert Person.objects.filter(email__iexact="alice.nguyen@example.com").count() == 1


def test_messages_without_an_account_are_unattributed(anthropic_connection) -> None:
    pull(anthropic_connection)

    unattributed = Account.objects.get(provider="anthropic", external_id="")
    assert unattributed.kind == Account.Kind.UNATTRIBUTED
    assert UsageFact.objects.get(account=unattributed).total_tokens == 1_200 + 300


def test_claude_code_sums_every_record_of_a_day_across_pages(claude_code_connection) -> None:
    first = pull(claude_code_connection)
    after_first = totals()
    second = pull(claude_code_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert first.rows == second.rows == 7
    assert totals() == after_first
    sonnet = UsageFact.objects.get(
        account__email="alice.nguyen@example.com", day=dt.date(2026, 8, 4), model="claude-sonnet-5"
    )
    # local (page 1) and remote (page 2) records of the same day and model
    assert counts(sonnet) == (9_000 + 1_000, 52_000 + 4_000, 3_000 + 500, 2_600 + 500, 0)
    assert sonnet.cost == Decimal("0.38")  # 31 + 7 cents, as reported
    assert not sonnet.cost_estimated
    opus, sonnet_local_and_remote = 38_000 + 410_000 + 16_000 + 11_500, 10_000 + 56_000 + 6_600
    release_bot = 100 + 50  # her API key: the keys list names her as its creator
    assert totals() == {
        "dev.patel@example.com": 14_000
        + 61_000
        + 5_000
        + 4_200
        + 2_500_000_000
        + 3_000_000_000
        + 10
        + 2_200_000_000,  # past 2^31 on Aug 5
        "alice.nguyen@example.com": opus + sonnet_local_and_remote + release_bot,
        "bob.okafor@example.com": 21_000 + 150_000 + 7_000 + 6_900,
    }


def test_claude_code_asks_for_one_day_at_a_time(claude_code_connection, anthropic_api) -> None:
    pull(claude_code_connection)

    asked = [(r.args["starting_at"], r.args.get("page")) for r in anthropic_api.usage_requests]
    assert asked == [
        ("2026-08-03", None),
        ("2026-08-04", None),
        ("2026-08-04", "page_Y2MtMjAyNi0wOC0wNC0y"),
        ("2026-08-05", None),
    ]


def test_claude_code_keeps_api_key_usage_under_its_key_name(claude_code_connection) -> None:
    pull(claude_code_connection)

    key = Account.objects.get(provider="claude_code", external_id="api_key:ci-bot-key")
    assert (key.kind, key.person) == (Account.Kind.API_KEY, None)  # no owner known
    assert UsageFact.objects.get(account=key).total_tokens == 6_000
    owned = Account.objects.get(provider="claude_code", external_id="api_key:release-bot")
    assert (owned.kind, owned.person.email) == (Account.Kind.API_KEY, "alice.nguyen@example.com")
    assert Account.objects.get(external_id="bob.okafor@example.com").person.email == (
        "bob.okafor@example.com"
    )
