"""A LiteLLM proxy's per-user daily activity as facts, against a real HTTP server."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from ingest.models import IngestRun
from ingest.providers import litellm
from ingest.providers.http import ProviderRejected
from ingest.services.connections import check_connection, connect_provider
from ingest.services.pulls import pull_connection
from leaderboard.domain.records import UNATTRIBUTED
from leaderboard.models import Account, UsageFact
from leaderboard.selectors import usage
from tests.stub_litellm import INTERNAL_KEY
from tests.stubs import ADMIN_KEY, load

AUG3, AUG4, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 4), dt.date(2026, 8, 5)
ALICE, BOB = "alice.nguyen@example.com", "bob.okafor@example.com"
FIELDS = ["day", "account__external_id", "model", "input", "cache_read", "cache_write"]
FIELDS += ["output", "requests", "cost", "cost_estimated"]


def pull(connection) -> IngestRun:
    return pull_connection(connection=connection, start=AUG3, end=AUG5, trigger="test")


def fact(account: str, day: dt.date, model: str) -> UsageFact:
    return UsageFact.objects.get(account__external_id=account, day=day, model=model)


def counts(f: UsageFact) -> tuple:
    return (f.input, f.cache_read, f.cache_write, f.output, f.requests, f.cost)


def test_pulling_twice_gives_identical_facts_and_totals(litellm_connection, litellm_api) -> None:
    first = pull(litellm_connection)
    facts = list(UsageFact.objects.order_by("pk").values(*FIELDS))
    standings = [(p.email, p.total_tokens) for p in usage.standings(period=usage.month_of(AUG3))]
    second = pull(litellm_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert first.rows == second.rows == len(facts) == 9
    assert list(UsageFact.objects.order_by("pk").values(*FIELDS)) == facts
    assert [
        (p.email, p.total_tokens) for p in usage.standings(period=usage.month_of(AUG3))
    ] == standings


def test_requests_carry_the_admin_key_and_only_declared_parameters(
    litellm_connection, litellm_api
) -> None:
    pull(litellm_connection)

    first = litellm_api.usage_requests[0]
    assert first.headers["Authorization"] == f"Bearer {ADMIN_KEY}"
    assert dict(first.args) == {
        "start_date": "2026-08-03",
        "end_date": "2026-08-05",
        "page": "1",
        "page_size": "2",
    }
    assert {r.args.get("user_id") for r in litellm_api.usage_requests} == {
        None,
        "u-alice",
        "u-bob",
        "u-nomail",
    }
    # FastAPI ignores what a handler does not declare: nothing we send may be ignored
    assert litellm_api.ignored == []


def test_prompt_tokens_are_split_into_uncached_input_and_the_cache(litellm_connection) -> None:
    pull(litellm_connection)

    # Anthropic through LiteLLM: prompt_tokens 12,000 includes 9,000 cache reads and 1,000
    # cache writes (calculate_usage adds both), so 2,000 were uncached input
    assert counts(fact("u-alice", AUG3, "claude-sonnet-4-5")) == (
        2_000,
        9_000,
        1_000,
        800,
        4,
        Decimal("0.023100"),
    )
    # OpenAI: prompt_tokens 5,000 include the 3,000 cached
    assert counts(fact("u-alice", AUG3, "gpt-5")) == (2_000, 3_000, 0, 1_200, 3, Decimal("0.01525"))
    # two keys of Alice's and a day that came on two pages: one fact
    assert counts(fact("u-alice", AUG4, "claude-sonnet-4-5")) == (
        31_000 - 20_000 - 5_000,
        20_000,
        5_000,
        2_100,
        7,
        Decimal("0.072900"),
    )
    # a row without a model (in the day's metrics, in no model's breakdown)
    assert counts(fact("u-alice", AUG4, litellm.UNKNOWN_MODEL)) == (0, 0, 0, 0, 1, Decimal("0.002"))
    assert not fact("u-alice", AUG4, "claude-sonnet-4-5").cost_estimated  # billed, as reported


def test_each_persons_facts_add_up_to_the_days_totals_litellm_reports(
    litellm_connection,
) -> None:
    pull(litellm_connection)

    reported: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in load("litellm/daily_user_spend.json"):
        for name in ("prompt_tokens", "completion_tokens", "api_requests", "spend"):
            reported[(row["user_id"], row["date"])][name] += row[name]
    for user in ("u-alice", "u-bob", "u-nomail"):
        for day in (AUG3, AUG4, AUG5):
            facts = UsageFact.objects.filter(account__external_id=user, day=day)
            day_total = reported[(user, day.isoformat())]
            assert (
                sum(f.input + f.cache_read + f.cache_write for f in facts)
                == day_total["prompt_tokens"]
            )
            assert sum(f.output for f in facts) == day_total["completion_tokens"]
            assert sum(f.requests for f in facts) == day_total["api_requests"]
            assert sum(f.cost for f in facts) == Decimal(str(day_total["spend"])).quantize(
                Decimal("0.000001")
            )


def test_people_are_credited_by_their_litellm_email(litellm_connection) -> None:
    pull(litellm_connection)

    alice = Account.objects.get(provider="litellm", external_id="u-alice")
    assert (alice.email, alice.person.email, alice.kind) == (ALICE, ALICE, Account.Kind.USER)
    totals = {p.email: p.total_tokens for p in usage.standings(period=usage.month_of(AUG3))}
    assert totals == {
        ALICE: 12_000 + 800 + 5_000 + 1_200 + 31_000 + 2_100,
        BOB: 8_000 + 900 + 4_000 + 500,
    }


def test_a_user_without_an_email_is_an_account_no_person_is_credited_for(
    litellm_connection,
) -> None:
    pull(litellm_connection)

    nomail = Account.objects.get(provider="litellm", external_id="u-nomail")
    assert (nomail.email, nomail.person) == ("", None)
    assert counts(fact("u-nomail", AUG5, "gpt-5"))[:5] == (700, 0, 0, 50, 1)


def test_keys_with_no_listed_user_are_the_unattributed_remainder(litellm_connection) -> None:
    pull(litellm_connection)

    unattributed = Account.objects.get(provider="litellm", external_id=UNATTRIBUTED)
    assert (unattributed.kind, unattributed.person) == (Account.Kind.UNATTRIBUTED, None)
    facts = {
        (f.day, f.model): counts(f)
        for f in UsageFact.objects.filter(account=unattributed).order_by("day")
    }
    assert facts == {
        # the team key's row (user_id "")
        (AUG4, "claude-haiku-4-5"): (10_000, 40_000, 0, 3_000, 30, Decimal("0.021")),
        # a deleted user's row: /user/list no longer lists u-gone
        (AUG3, "gpt-5"): (1_000, 0, 0, 100, 1, Decimal("0.002")),
    }


def test_a_rejected_result_keeps_its_day_out_of_the_remainder(
    litellm_connection, litellm_api
) -> None:
    litellm_api.raw_pages[("u-bob", 1)] = (
        b'{"results": [{"date": "2026-08-05", "metrics": {"spend": -1}}], '
        b'"metadata": {"page": 1, "total_pages": 1, "has_more": false}}'
    )

    run = pull(litellm_connection)

    assert run.status == IngestRun.Status.PARTIAL
    assert run.rejected == 1
    # Bob's Aug 5 is not counted as nobody's; the other days' remainder still is
    assert not UsageFact.objects.filter(account__external_id=UNATTRIBUTED, day=AUG5).exists()
    assert UsageFact.objects.filter(account__external_id=UNATTRIBUTED, day=AUG4).exists()


def test_a_rate_limited_page_is_tried_again(litellm_connection, litellm_api, settings) -> None:
    settings.INGEST_MAX_RETRY_WAIT = 0
    litellm_api.usage_failures.append(
        (
            429,
            {"error": {"message": "slow down", "type": "None", "param": "None", "code": "429"}},
            {"Retry-After": "0"},
        )
    )

    run = pull(litellm_connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert run.rows == 9


def test_check_lists_the_proxys_users(litellm_connection) -> None:
    said = check_connection(connection=litellm_connection)

    assert said == "LiteLLM answered; the key can list the proxy's users (3)."


def test_an_unknown_key_is_refused_in_litellms_words(db, litellm_api) -> None:
    connection, _ = connect_provider(
        name="litellm-bad",
        provider="litellm",
        api_key="sk-wrong-key",
        base_url=litellm_api.base_url,
    )

    run = pull(connection)

    assert run.status == IngestRun.Status.FAILED
    assert "Invalid proxy server token passed" in run.error
    assert "refused the admin key" in run.error
    assert "sk-wrong-key" not in run.error


def test_a_key_that_is_no_proxy_admin_cannot_list_users(db, litellm_api) -> None:
    connection, _ = connect_provider(
        name="litellm-user", provider="litellm", api_key=INTERNAL_KEY, base_url=litellm_api.base_url
    )

    run = pull(connection)

    assert run.status == IngestRun.Status.FAILED
    assert "Only proxy admin" in run.error


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"page_size": "1001"}, 422, "less than or equal to 1000"),
        ({"page": "0"}, 422, "greater than or equal to 1"),
        ({"start_date": "2026-8-3"}, 400, "valid YYYY-MM-DD"),
        ({"end_date": None}, 400, "Please provide start_date and end_date"),
    ],
)
def test_the_stub_refuses_what_the_proxy_refuses(litellm_api, params, status, says) -> None:
    adapter = litellm.LiteLLMAdapter(base_url=litellm_api.base_url, api_key=ADMIN_KEY)
    query = {"start_date": "2026-08-03", "end_date": "2026-08-05", **params}
    try:
        with pytest.raises(ProviderRejected) as refused:
            adapter.client.get(
                litellm.ACTIVITY_PATH, **{k: v for k, v in query.items() if v is not None}
            )
    finally:
        adapter.close()

    assert refused.value.status == status
    assert says in str(refused.value)


def test_the_stub_takes_the_key_in_x_litellm_api_key_too(litellm_api) -> None:
    import httpx

    answer = httpx.get(
        f"{litellm_api.base_url}{litellm.USERS_PATH}", headers={"x-litellm-api-key": ADMIN_KEY}
    )

    assert answer.status_code == 200
    assert answer.json()["total"] == 3


def test_a_connection_needs_the_proxys_address(db) -> None:
    with pytest.raises(ValueError, match="no default address"):
        connect_provider(name="litellm-nowhere", provider="litellm", api_key=ADMIN_KEY)


def test_usage_through_the_proxy_counts_once_for_the_person(
    litellm_connection, openai_connection, openai_api
) -> None:
    # The proxy calls OpenAI with one key of its own, a service account's (README, "LiteLLM
    # proxy"): OpenAI's report lists the proxied usage again, under that key.
    openai_api.project_keys["proj_Lm4Qx8Vt2RkN"].append(
        {
            "object": "organization.project.api_key",
            "redacted_value": "sk-svcacct-Pr0...xy00",
            "name": "litellm-proxy",
            "created_at": 1775001600,
            "last_used_at": 1785891600,
            "id": "key_LiteLLMProxy0001",
            "owner_project_access": "active",
            "owner": {
                "type": "service_account",
                "service_account": {
                    "id": "svc_acct_litellm_proxy",
                    "name": "litellm-proxy",
                    "created_at": 1775001600,
                    "role": "member",
                },
            },
        }
    )
    proxied = {  # Alice's gpt-5 calls of Aug 3 through the proxy, as OpenAI reports them
        "object": "organization.usage.completions.result",
        "input_tokens": 5_000,
        "input_cached_tokens": 3_000,
        "output_tokens": 1_200,
        "num_model_requests": 3,
        "project_id": "proj_Lm4Qx8Vt2RkN",
        "user_id": None,
        "api_key_id": "key_LiteLLMProxy0001",
        "model": "gpt-5",
        "batch": None,
        "service_tier": None,
    }
    openai_api.usage_pages[None]["data"][0]["results"].append(proxied)
    direct = 100_500  # Alice's own OpenAI usage in the recorded pages (tests/ingest/test_worker)

    pull_connection(connection=openai_connection, start=AUG3, end=AUG5, trigger="test")
    pull(litellm_connection)

    proxy = Account.objects.get(provider="openai", external_id="svc_acct_litellm_proxy")
    assert (proxy.kind, proxy.person) == (Account.Kind.AGENT, None)
    assert UsageFact.objects.get(account=proxy).total_tokens == 5_000 + 1_200
    totals = {p.email: p.total_tokens for p in usage.standings(period=usage.month_of(AUG3))}
    assert totals[ALICE] == direct + 52_100  # her proxied gpt-5 calls once, from LiteLLM


def test_connect_provider_connects_a_proxy_at_its_address(db, monkeypatch) -> None:
    from django.core.management import call_command

    from ingest.models import Connection

    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-master-1")
    call_command(
        "connect_provider",
        "litellm-gw",
        "--provider",
        "litellm",
        "--api-key-env",
        "LITELLM_MASTER_KEY",
        "--base-url",
        "https://litellm.example.com",
    )

    made = Connection.objects.get(name="litellm-gw")
    assert (made.provider, made.base_url, made.api_key) == (
        "litellm",
        "https://litellm.example.com",
        "sk-master-1",
    )
