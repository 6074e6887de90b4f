"""Anthropic Messages usage and Claude Code analytics against a real HTTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ingest.models import IngestRun, RejectedRow
from ingest.providers import anthropic
from ingest.services.pulls import pull_connection
from leaderboard.models import Account, Person, UsageFact
from leaderboard.selectors import usage

AUG3, AUG5, AUG6 = dt.date(2026, 8, 3), dt.date(2026, 8, 5), dt.date(2026, 8, 6)
AUGUST = usage.month_of(AUG3)


def pull(connection, end: dt.date = AUG5):
    return pull_connection(connection=connection, start=AUG3, end=end, trigger="test")


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}


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
        "api_key_id",
        "service_account_id",
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
    # release-bot, a key she created that acts as no one, is not hers
    assert totals() == {
        "dev.patel@example.com": 14_000
        + 61_000
        + 5_000
        + 4_200
        + 2_500_000_000
        + 3_000_000_000
        + 10
        + 2_200_000_000,  # past 2^31 on Aug 5
        "alice.nguyen@example.com": opus + sonnet_local_and_remote,
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
    unbound = Account.objects.get(provider="claude_code", external_id="api_key:release-bot")
    # "principal": null, created by Alice: recorded as its owner, never credited to her
    assert (unbound.kind, unbound.person, unbound.owner_email) == (
        Account.Kind.API_KEY,
        None,
        "alice.nguyen@example.com",
    )
    assert Account.objects.get(external_id="bob.okafor@example.com").person.email == (
        "bob.okafor@example.com"
    )


def redated(anthropic_api, dates: list[str]) -> None:
    """Give 2026-08-05's Claude Code records these `date` values, in order."""
    page = anthropic_api.claude_code_pages[("2026-08-05", None)]
    records = [{**r, "date": d} for r, d in zip(page["data"], dates, strict=True)]
    anthropic_api.claude_code_pages[("2026-08-05", None)] = {**page, "data": records}


def test_claude_code_takes_both_date_forms_the_references_have_shown(
    claude_code_connection, anthropic_api
) -> None:
    pull(claude_code_connection)
    expected = totals()
    UsageFact.objects.all().delete()
    # "UTC date in YYYY-MM-DD format" (an earlier reference) and the RFC 3339 midnight
    # timestamp, with Z or an offset of zero
    redated(anthropic_api, ["2026-08-05", "2026-08-05T00:00:00+00:00", "2026-08-05", "2026-08-05"])

    first, second = pull(claude_code_connection), pull(claude_code_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert first.rows == second.rows == 7
    assert totals() == expected


def test_claude_code_rejects_a_date_that_is_not_a_utc_day_and_keeps_the_rest(
    claude_code_connection, anthropic_api
) -> None:
    redated(
        anthropic_api,
        ["2026-08-05T12:00:00Z", "2026-08-05T00:00:00+02:00", "Aug 5", "2026-02-30"],
    )

    run = pull(claude_code_connection)

    assert run.status == IngestRun.Status.PARTIAL
    assert run.rejected == 4
    reasons = sorted(RejectedRow.objects.values_list("reason", flat=True))
    assert "2026-08-05 page 1, record 1: field 'date' should be midnight UTC" in reasons[0]
    assert "should be midnight UTC, got '2026-08-05T00:00:00+02:00'" in reasons[1]
    assert "should be an RFC 3339 time, got 'Aug 5'" in reasons[2]
    assert "is not a calendar date ('2026-02-30')" in reasons[3]
    assert UsageFact.objects.filter(day=dt.date(2026, 8, 4)).exists()


def test_claude_code_follows_the_api_keys_list_across_pages(
    claude_code_connection, anthropic_api, monkeypatch
) -> None:
    monkeypatch.setattr(anthropic, "API_KEYS_PAGE", 1)

    pull(claude_code_connection)

    # release-bot is on the second page: it acts as no one, and its creator is recorded
    key = Account.objects.get(provider="claude_code", external_id="api_key:release-bot")
    assert (key.person, key.owner_email) == (None, "alice.nguyen@example.com")
    assert [r.args.get("after_id") for r in anthropic_api.list_requests] == [
        None,
        "apikey_01QwE8rT5yU2iO9pA3sD6fG",
    ]


ALICE_ID, BOB_ID = "user_01HkT9vQm2RsW8xLz4NpB6cD", "user_01JmR4tZq8WvN2kLx7HsC3pF"


def tiered_result(account_id: str, **fields) -> dict:
    """A Messages usage result grouped by account, model, service tier, context window and
    inference geo, in the reference's shape
    (https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages):
    "cache_creation.ephemeral_1h_input_tokens … used to create the 1 hour cache entry",
    "ephemeral_5m_input_tokens … used to create the 5 minute cache entry"; `service_tier`
    one of "batch", "flex", "flex_discount", "priority", "priority_on_demand", "standard";
    `context_window` "0-200k" | "200k-1M"; `inference_geo` "global" | "not_available" | "us"."""
    return {
        "account_id": account_id,
        "api_key_id": None,
        "cache_creation": {
            "ephemeral_1h_input_tokens": fields.get("write_1h", 0),
            "ephemeral_5m_input_tokens": fields.get("write_5m", 0),
        },
        "cache_read_input_tokens": fields.get("cache_read", 0),
        "context_window": fields.get("context_window", "0-200k"),
        "inference_geo": fields.get("inference_geo", "global"),
        "model": "claude-opus-4-6",
        "output_tokens": fields.get("output", 0),
        "server_tool_use": {"web_search_requests": 0},
        "service_account_id": None,
        "service_tier": fields.get("service_tier", "standard"),
        "uncached_input_tokens": fields.get("input", 0),
        "workspace_id": None,
    }


TIERED_PAGE = {
    "data": [
        {
            "starting_at": "2026-08-03T00:00:00Z",
            "ending_at": "2026-08-04T00:00:00Z",
            "results": [
                tiered_result(
                    ALICE_ID,
                    input=10_000,
                    cache_read=100_000,
                    write_5m=40_000,
                    write_1h=20_000,
                    output=5_000,
                ),
                tiered_result(ALICE_ID, input=200_000, output=100_000, service_tier="batch"),
                tiered_result(BOB_ID, input=1_000_000, inference_geo="us"),
            ],
        },
        {
            "starting_at": "2026-08-04T00:00:00Z",
            "ending_at": "2026-08-05T00:00:00Z",
            "results": [
                # "Priority Tier costs use a different billing model and are not included in
                # the cost endpoint" (usage-cost-api guide): no list price to estimate from
                tiered_result(BOB_ID, input=1_000, service_tier="priority"),
                tiered_result(BOB_ID, input=1_000, service_tier="standard"),
            ],
        },
        {"starting_at": "2026-08-05T00:00:00Z", "ending_at": "2026-08-06T00:00:00Z", "results": []},
    ],
    "has_more": False,
    "next_page": None,
}


def stored_facts() -> list[dict]:
    """Every fact's values but the time it was recorded."""
    facts = UsageFact.objects.order_by("day", "account__external_id").values()
    return [{k: v for k, v in f.items() if k != "recorded_at"} for f in facts]


def test_messages_price_1_hour_writes_batch_and_us_inference_at_their_rates(
    anthropic_connection, anthropic_api
) -> None:
    anthropic_api.usage_pages = {None: TIERED_PAGE}

    first = pull(anthropic_connection)
    after_first = stored_facts()
    second = pull(anthropic_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert stored_facts() == after_first
    assert len(after_first) == 3
    alice = UsageFact.objects.get(account__external_id=ALICE_ID)
    # claude-opus-4-6 per million: $5 input, $0.50 cache hits, $6.25 5-minute and $10 1-hour
    # writes, $25 output; batch "a 50% discount on both input and output tokens"
    standard = 10_000 * 5 + 100_000 * Decimal("0.5") + 40_000 * Decimal("6.25")
    standard += 20_000 * 10 + 5_000 * 25
    batch = (200_000 * 5 + 100_000 * 25) * Decimal("0.5")
    assert counts(alice) == (210_000, 100_000, 60_000, 105_000, 0)
    assert (alice.cost, alice.cost_estimated) == ((standard + batch) / 1_000_000, True)
    assert alice.cost == Decimal("2.425")
    bob_us = UsageFact.objects.get(account__external_id=BOB_ID, day=AUG3)
    # "US-only inference … incurs a 1.1x multiplier on all token pricing categories"
    assert (bob_us.cost, bob_us.cost_estimated) == (Decimal("5.5"), True)
    bob_priority = UsageFact.objects.get(account__external_id=BOB_ID, day=dt.date(2026, 8, 4))
    assert (bob_priority.input, bob_priority.cost) == (2_000, None)  # not priced, not 0
