"""The OpenAI adapter end to end: a real HTTP server on 127.0.0.1, the pull service, the DB."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import override_settings

from ingest.models import IngestRun, RejectedRow
from ingest.providers.http import ProviderUnavailable
from ingest.services.pulls import pull_connection
from leaderboard.domain.periods import Period
from leaderboard.models import Account, Person, UsageFact
from leaderboard.selectors import usage
from leaderboard.services import accounts, people, rankings
from tests.helpers import row_versions, seen

AUG3, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 5)
AUGUST = Period(dt.date(2026, 8, 1), dt.date(2026, 8, 31), "August 2026")
TWO_TO_31 = 2**31


def pull(connection):
    return pull_connection(connection=connection, start=AUG3, end=AUG5, trigger="test")


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}


def fact(email: str, day: int, model: str) -> UsageFact:
    return UsageFact.objects.get(account__email=email, day=dt.date(2026, 8, day), model=model)


def test_pull_twice_gives_identical_totals(openai_connection, openai_api) -> None:
    first = pull(openai_connection)
    after_first = totals()
    second = pull(openai_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert (first.pages, first.rows) == (second.pages, second.rows) == (2, 9)
    assert (
        totals()
        == after_first
        == {
            # input_tokens + output_tokens of every row of that person
            "alice.nguyen@example.com": 54_500 + 6_200 + 7_000 + 800 + 30_000 + 2_000,
            "carmen.diaz@example.com": 59_000 + 5_100 + 4_000 + 700,
            "bob.okafor@example.com": 9_000 + 2_100 + 21_500 + 3_300,
        }
    )
    assert UsageFact.objects.count() == 9


def test_pull_asks_for_daily_buckets_by_user_and_model(openai_connection, openai_api) -> None:
    pull(openai_connection)

    first, second = openai_api.usage_requests
    assert first.args["start_time"] == "1785715200"  # 2026-08-03T00:00:00Z
    assert first.args["end_time"] == "1785974400"  # 2026-08-06T00:00:00Z: --end is inclusive
    assert first.args["bucket_width"] == "1d"
    assert first.args.getlist("group_by[]") == [
        "project_id",
        "user_id",
        "api_key_id",
        "model",
        "batch",
        "service_tier",
    ]
    assert "page" not in first.args
    assert second.args["page"] == openai_api.usage_pages[None]["next_page"]


def test_pull_maps_openai_fields_to_disjoint_counts(openai_connection) -> None:
    pull(openai_connection)

    alice = fact("alice.nguyen@example.com", 3, "gpt-5")
    # input_tokens 54,500 includes 12,000 cached and 1,500 cache-write tokens
    assert (alice.input, alice.cache_read, alice.cache_write, alice.output, alice.requests) == (
        41_000,
        12_000,
        1_500,
        6_200,
        18,
    )
    assert alice.total_tokens == 54_500 + 6_200
    older_shape = fact("alice.nguyen@example.com", 5, "gpt-4.1")  # no input_cache_write_tokens
    assert (older_shape.input, older_shape.cache_read, older_shape.cache_write) == (
        20_000,
        10_000,
        0,
    )


def test_pull_keeps_counts_above_32_bits_exact(openai_connection) -> None:
    pull(openai_connection)
    pull(openai_connection)

    dev = UsageFact.objects.get(account__external_id="user-6pDv3TrE8wYu1IoA5sDf2GhJ")
    assert dev.input == 5_000_000_000 - 2_500_000_000 - 100_000_000 > TWO_TO_31
    assert dev.cache_read == 2_500_000_000 > TWO_TO_31
    assert dev.output == 3_000_000_000 > TWO_TO_31
    assert dev.total_tokens == 8_000_000_000


def test_pull_estimates_cost_from_the_price_table(openai_connection) -> None:
    pull(openai_connection)

    alice = fact("alice.nguyen@example.com", 3, "gpt-5")
    # gpt-5 per million: input 1.25, cached 0.125, cache write 1.25, output 10.00
    expected = (41_000 * 1.25 + 12_000 * 0.125 + 1_500 * 1.25 + 6_200 * 10) / 1_000_000
    assert alice.cost_estimated
    assert str(alice.cost) == f"{expected:.6f}"


def test_unknown_user_is_kept_unmatched_then_counted_once_assigned(openai_connection) -> None:
    pull(openai_connection)

    dev_account = Account.objects.get(external_id="user-6pDv3TrE8wYu1IoA5sDf2GhJ")
    assert dev_account.person is None
    assert dev_account.email == ""
    assert UsageFact.objects.filter(account=dev_account).exists()
    assert Person.objects.count() == 3

    dev = people.add_person(email="Dev.Patel@example.com ", display_name="Dev Patel")
    accounts.attribute_account(account=dev_account, person=dev)

    assert totals()["dev.patel@example.com"] == 8_000_000_000
    assert usage.standings(period=AUGUST).first() == dev


def test_unknown_user_is_matched_when_the_directory_learns_their_email(
    openai_connection, openai_api
):
    pull(openai_connection)
    openai_api.users_pages["user-9dFj6KpN1qTs5UvH2mZa8RgL"]["data"].append(
        {
            "object": "organization.user",
            "id": "user-6pDv3TrE8wYu1IoA5sDf2GhJ",
            "name": "Dev Patel",
            "email": "dev.patel@example.com",
            "role": "reader",
            "added_at": 1785000000,
        }
    )

    pull(openai_connection)

    assert Person.objects.get(email="dev.patel@example.com").display_name == "Dev Patel"
    assert totals()["dev.patel@example.com"] == 8_000_000_000


def test_usage_without_a_user_is_unattributed_and_never_ranked(openai_connection) -> None:
    pull(openai_connection)

    account = Account.objects.get(provider="openai", external_id="")
    assert account.kind == Account.Kind.UNATTRIBUTED
    assert UsageFact.objects.get(account=account).total_tokens == 80_000 + 9_000
    with pytest.raises(accounts.AttributionError):
        accounts.attribute_account(account=account, person=Person.objects.first())
    assert sum(totals().values()) == 100_500 + 68_800 + 35_900


@override_settings(AUTO_CREATE_PEOPLE=False)
def test_pull_creates_nobody_when_only_the_directory_is_ranked(openai_connection, alice) -> None:
    pull(openai_connection)

    assert list(Person.objects.all()) == [alice]
    assert totals() == {"alice.nguyen@example.com": 100_500}


@override_settings(INGEST_PRUNE_MAX_SHARE=1.0)  # a genuine revision of most of the window
def test_second_pull_replaces_revised_days_and_drops_vanished_rows(openai_connection, openai_api):
    pull(openai_connection)
    page1 = openai_api.usage_pages[None]
    page1["data"][0]["results"][0]["output_tokens"] = 7_000  # Alice, Aug 3, revised upward
    del page1["data"][1]["results"][1]  # Carmen's Aug 4 row is gone

    run = pull(openai_connection)

    assert run.rows == 8
    assert fact("alice.nguyen@example.com", 3, "gpt-5").output == 7_000
    assert not UsageFact.objects.filter(
        account__email="carmen.diaz@example.com", day=dt.date(2026, 8, 4)
    ).exists()
    assert totals()["carmen.diaz@example.com"] == 4_000 + 700


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r.pop("output_tokens"),
            "page 2, bucket 1, result 2: required field 'output_tokens' is missing",
        ),
        (
            lambda r: r.update(num_model_requests="12"),
            "page 2, bucket 1, result 2: field 'num_model_requests' should be a whole number",
        ),
    ],
)
def test_malformed_rows_are_quarantined_and_good_rows_still_land(
    openai_connection, openai_api, change, message
):
    bad = openai_api.usage_pages["page_AAAAAGkFhQBpBYUAAAAAAGkGwIA="]["data"][0]["results"][1]
    change(bad)

    run = pull(openai_connection)

    assert run.status == IngestRun.Status.PARTIAL
    assert run.rejected == 1 and "1 row(s) could not be read" in run.error
    rejected = RejectedRow.objects.get()
    assert rejected.reason.startswith(message)
    assert json.loads(rejected.raw) == bad  # kept as received, for review
    assert run.rows == 8
    assert not UsageFact.objects.filter(account__email="carmen.diaz@example.com", day=AUG5).exists()
    assert fact("bob.okafor@example.com", 5, "gpt-5").output == 3_300  # same page, good row


def test_a_quarantined_row_keeps_its_earlier_value_and_is_kept_once(openai_connection, openai_api):
    pull(openai_connection)
    openai_api.usage_pages[None]["data"][0]["results"][0]["output_tokens"] = -5

    pull(openai_connection)
    pull(openai_connection)

    assert fact("alice.nguyen@example.com", 3, "gpt-5").output == 6_200
    assert RejectedRow.objects.get().reason == (
        "page 1, bucket 1, result 1: field 'output_tokens' is negative (-5)"
    )


@pytest.mark.parametrize(
    ("page2", "message"),
    [
        (b"<html>Bad gateway</html>", "answered 200 with a body that is not JSON"),
        (b'{"object": "page", "has_more": false}', "page 2: required field 'data' is missing"),
        (
            b'{"object": "page", "data": [{"start_time": "yesterday", "results": []}], '
            b'"has_more": false}',
            "page 2, bucket 1: field 'start_time' should be a whole number",
        ),
    ],
)
def test_an_unreadable_page_fails_the_run_and_keeps_committed_rows(
    openai_connection, openai_api, page2, message
):
    openai_api.raw_pages["page_AAAAAGkFhQBpBYUAAAAAAGkGwIA="] = page2

    run = pull(openai_connection)

    assert run.status == IngestRun.Status.FAILED
    assert message in run.error
    assert run.pages == 1
    # Page 1 (Aug 3 and 4) is in, with the right values; nothing of page 2 is.
    assert fact("alice.nguyen@example.com", 3, "gpt-5").input == 41_000
    assert set(UsageFact.objects.values_list("day", flat=True)) == {AUG3, dt.date(2026, 8, 4)}
    kept = RejectedRow.objects.get().raw
    assert kept == page2.decode() or json.loads(kept) == json.loads(page2)
    openai_connection.refresh_from_db()
    assert openai_connection.pulled_through is None


def test_failed_pull_keeps_earlier_data_of_days_it_did_not_reach(openai_connection, openai_api):
    pull(openai_connection)
    openai_api.usage_pages["page_AAAAAGkFhQBpBYUAAAAAAGkGwIA="]["data"][0]["results"][0].pop(
        "input_tokens"
    )

    pull(openai_connection)

    assert totals()["bob.okafor@example.com"] == 9_000 + 2_100 + 21_500 + 3_300


@override_settings(INGEST_MAX_RETRY_WAIT=0.01)
def test_rate_limit_is_retried_after_the_requested_wait(openai_connection, openai_api) -> None:
    openai_api.usage_failures = [
        (
            429,
            {"error": {"message": "Rate limit reached", "type": "requests"}},
            {"Retry-After": "0"},
        ),
        (503, {"error": {"message": "Service unavailable"}}, {}),
    ]

    run = pull(openai_connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert len(openai_api.usage_requests) == 4
    assert run.rows == 9


@override_settings(INGEST_MAX_RETRY_WAIT=0.01, INGEST_MAX_ATTEMPTS=3)
def test_provider_that_stays_down_fails_the_run_for_a_later_retry(openai_connection, openai_api):
    openai_api.usage_failures = [(503, {"error": {"message": "Service unavailable"}}, {})] * 3

    with pytest.raises(ProviderUnavailable):
        pull(openai_connection)

    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert "failed 3 times; last: HTTP 503: Service unavailable" in run.error
    openai_connection.refresh_from_db()
    assert openai_connection.pulled_through is None  # the next pull fetches the same window
    assert pull(openai_connection).status == IngestRun.Status.SUCCEEDED


def test_rejected_key_fails_at_once_with_the_providers_message(
    openai_connection, openai_api
) -> None:
    openai_connection.api_key = "sk-admin-revoked"
    openai_connection.save()

    run = pull(openai_connection)

    assert run.status == IngestRun.Status.FAILED
    assert "answered 401: Incorrect API key provided" in run.error
    assert "admin key of connection 'openai-main'" in run.error  # which key to fix
    assert "sk-admin-revoked" not in run.error
    assert openai_api.usage_requests == []  # the users list failed first; nothing retried


def test_a_key_that_cannot_be_decrypted_fails_the_run_with_the_fix(openai_connection) -> None:
    from cryptography.fernet import Fernet

    with override_settings(CREDENTIALS_KEY=Fernet.generate_key().decode()):
        run = pull(openai_connection)

    assert run.status == IngestRun.Status.FAILED
    assert "cannot be decrypted" in run.error and "connect_provider" in run.error


def test_a_second_pull_rewrites_only_what_changed_and_forgets_what_it_saw(
    postgres, openai_connection, openai_api
):
    pull(openai_connection)
    versions, usage = row_versions(), rankings.current_version()

    unchanged = pull(openai_connection)

    assert unchanged.status == IngestRun.Status.SUCCEEDED and unchanged.rows == 9
    assert row_versions() == versions
    assert rankings.current_version() == usage  # cached pages and rankings stay valid

    openai_api.usage_pages[None]["data"][0]["results"][0]["output_tokens"] = 7_000
    run = pull(openai_connection)

    assert run.status == IngestRun.Status.SUCCEEDED and run.rows == 9
    revised = fact("alice.nguyen@example.com", 3, "gpt-5")
    after = row_versions()
    assert [pk for pk in after if after[pk] != versions[pk]] == [revised.pk]
    assert revised.output == 7_000
    assert rankings.current_version() > usage
    assert seen() == set()  # what the pull saw is forgotten once it has pruned


def test_a_failed_pull_deletes_nothing_and_forgets_what_it_saw(
    postgres, openai_connection, openai_api
):
    pull(openai_connection)
    before = UsageFact.objects.count()
    openai_api.raw_pages["page_AAAAAGkFhQBpBYUAAAAAAGkGwIA="] = b"not json"

    run = pull(openai_connection)

    assert run.status == IngestRun.Status.FAILED and run.pages == 1
    assert UsageFact.objects.count() == before
    assert seen() == set()


def completions_result(**fields) -> dict:
    """A completions result grouped by user, model, batch and service tier, in the spec's shape
    (openai/openai-openapi UsageCompletionsResult): "input_tokens … including cached and
    cache-write tokens"; "input_cache_write_tokens: The aggregated number of input tokens
    written to the cache"; `batch` boolean | null; `service_tier` string | null (the spec's
    example: "default")."""
    cached, write, uncached = fields["cached"], fields["write"], fields["uncached"]
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": cached + write + uncached,
        "input_cached_tokens": cached,
        "input_cache_write_tokens": write,
        "input_uncached_tokens": uncached,
        "output_tokens": fields["output"],
        "num_model_requests": 1,
        "project_id": None,
        "user_id": "user-4hQm2VtR8sLk0PzYxW3nB7cE",  # Alice in users_page1.json
        "api_key_id": None,
        "model": "gpt-5.6-sol",
        "batch": fields["batch"],
        "service_tier": fields["service_tier"],
    }


def test_pull_bills_gpt_5_6_cache_writes_and_halves_batch_jobs(openai_connection, openai_api):
    one = {"cached": 1_000_000, "write": 1_000_000, "uncached": 1_000_000, "output": 1_000_000}
    openai_api.usage_pages = {
        None: {
            "object": "page",
            "data": [
                {
                    "object": "bucket",
                    "start_time": 1785715200,  # 2026-08-03
                    "end_time": 1785801600,
                    "results": [
                        completions_result(**one, batch=False, service_tier="default"),
                        completions_result(**one, batch=True, service_tier="default"),
                    ],
                }
            ],
            "has_more": False,
            "next_page": None,
        }
    }

    first = pull(openai_connection)
    after_first = list(UsageFact.objects.values("cost", "cost_estimated", "input", "cache_write"))
    second = pull(openai_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    assert list(UsageFact.objects.values("cost", "cost_estimated", "input", "cache_write")) == (
        after_first
    )
    # GPT-5.6 Sol per million: $4 input, $0.40 cached, writes "1.25x the uncached input token
    # rate" ($5), $20 output; the batch job at half that
    standard = 4 + Decimal("0.40") + 5 + 20
    assert after_first == [
        {
            "cost": standard + standard / 2,
            "cost_estimated": True,
            "input": 2_000_000,
            "cache_write": 2_000_000,
        }
    ]
