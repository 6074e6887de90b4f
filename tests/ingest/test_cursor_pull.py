"""Cursor usage events summed into daily facts, against a real HTTP server."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from ingest.models import IngestRun
from ingest.services.pulls import pull_connection
from leaderboard.models import Account, UsageFact
from leaderboard.selectors import usage

AUG3, AUG4, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 4), dt.date(2026, 8, 5)
FIELDS = [
    "day",
    "account__email",
    "model",
    "input",
    "cache_read",
    "cache_write",
    "output",
    "requests",
    "cost",
    "cost_estimated",
]


def pull(connection):
    return pull_connection(connection=connection, start=AUG3, end=AUG5, trigger="test")


def fact(email: str, day: dt.date, model: str) -> UsageFact:
    return UsageFact.objects.get(account__email=email, day=day, model=model)


def test_cursor_pull_twice_gives_identical_facts(cursor_connection, cursor_api) -> None:
    first = pull(cursor_connection)
    facts = list(UsageFact.objects.order_by("pk").values(*FIELDS))
    second = pull(cursor_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert first.rows == second.rows == 4
    assert first.pages == 3  # six events, two a page
    assert list(UsageFact.objects.order_by("pk").values(*FIELDS)) == facts
    body = json.loads(cursor_api.usage_requests[0].data)
    assert body["startDate"] == 1785715200000  # 2026-08-03T00:00:00.000Z
    assert body["endDate"] == 1785974399999  # 2026-08-05T23:59:59.999Z: inclusive


def test_cursor_sums_events_per_person_day_and_model(cursor_connection) -> None:
    pull(cursor_connection)

    alice = fact("alice.nguyen@example.com", AUG4, "gpt-5")
    assert (alice.input, alice.cache_read, alice.cache_write, alice.output, alice.requests) == (
        3_200 + 2_200_000_000,
        12_000 + 2_300_000_000,
        0,
        900 + 100,
        2,
    )
    # the model cost (tokenUsage.totalCents), not chargedCents, which "includes model cost
    # plus the Cursor Token Rate" (https://cursor.com/docs/account/teams/admin-api)
    cents = Decimal("1.9") + Decimal("123000.5")
    assert alice.cost == (cents / 100).quantize(Decimal("0.000001"))
    assert not alice.cost_estimated
    carmen = fact("carmen.diaz@example.com", AUG5, "claude-4.5-sonnet")  # two casings, one person
    assert (carmen.input, carmen.output, carmen.requests, carmen.cost) == (
        2_000,
        700,
        2,
        Decimal("0.0871"),  # 8.41 + 0.3 cents; charged 9.59 + 0.41 with Cursor's fee
    )


def test_cursor_counts_events_without_tokens_as_requests_and_cost(cursor_connection) -> None:
    pull(cursor_connection)

    thinking = fact("alice.nguyen@example.com", AUG3, "claude-4-sonnet-thinking")
    assert (thinking.total_tokens, thinking.requests, thinking.cost) == (0, 1, Decimal("0.04"))
    assert not thinking.cost_estimated


def test_cursor_totals_rank_people(cursor_connection) -> None:
    pull(cursor_connection)

    totals = {p.email: p.total_tokens for p in usage.standings(period=usage.month_of(AUG3))}
    assert totals == {
        "alice.nguyen@example.com": 3_200 + 2_200_000_000 + 12_000 + 2_300_000_000 + 1_000,
        "dev.patel@example.com": 650 + 2_100 + 9_800 + 44_000,
        "carmen.diaz@example.com": 2_000 + 700 + 7_400 + 22_000,
    }


def test_cursor_matches_people_by_the_events_own_email(cursor_connection, cursor_api) -> None:
    cursor_api.members = {"teamMembers": []}  # a removed member is no longer listed

    pull(cursor_connection)

    carmen = UsageFact.objects.get(day=AUG5).account
    assert carmen.email == "carmen.diaz@example.com"
    assert carmen.person.email == "carmen.diaz@example.com"


def test_a_service_accounts_events_belong_to_an_agent_not_a_person(
    cursor_connection, cursor_api
) -> None:
    # "serviceAccountId … serviceAccountName … Omitted for human user events."
    # (https://cursor.com/docs/account/teams/admin-api, filtered-usage-events)
    bot = {
        **cursor_api.events[0],
        "serviceAccountId": "sa_nightly",
        "serviceAccountName": "nightly-refactor",
    }
    cursor_api.events.append(bot)

    first, second = pull(cursor_connection), pull(cursor_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    agent = Account.objects.get(external_id="service_account:sa_nightly")
    assert (agent.kind, agent.person) == (Account.Kind.AGENT, None)
    assert UsageFact.objects.filter(account=agent).get().requests == 1
