"""GitHub Copilot's daily users reports, premium request bills and SAML identities, pulled
from real HTTP servers (tests/stub_copilot.py)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ingest.models import Connection, IngestRun
from ingest.providers.copilot import CopilotAdapter, parse_tenant, report_days
from ingest.providers.http import ProviderUnavailable, UnsafeURL
from ingest.services.connections import check_connection, connect_provider
from ingest.services.pulls import pull_connection
from leaderboard.models import Account, UsageFact
from leaderboard.selectors import usage
from leaderboard.services.people import import_people
from tests.factories import PersonFactory
from tests.stub_copilot import SLUG, TOKEN, CopilotStub

AUG3, AUG4, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 4), dt.date(2026, 8, 5)
FIELDS = ["day", "account__external_id", "model", "input", "output", "requests", "cost"]


def pull(connection, start=AUG3, end=AUG5):
    return pull_connection(connection=connection, start=start, end=end, trigger="test")


def fact(login: str, day: dt.date, model: str = "copilot") -> UsageFact:
    return UsageFact.objects.get(account__external_id=login, day=day, model=model)


@pytest.fixture
def people(db):
    return {
        "alice": PersonFactory(email="alice.nguyen@example.com"),
        "bob": PersonFactory(email="bob.okafor@example.com"),
        "carmen": PersonFactory(email="carmen.diaz@example.com"),
    }


def test_copilot_pull_twice_gives_identical_facts(copilot_connection, copilot_api) -> None:
    first = pull(copilot_connection)
    facts = list(UsageFact.objects.order_by("pk").values(*FIELDS))
    second = pull(copilot_connection)

    assert first.status == second.status == IngestRun.Status.SUCCEEDED
    # Aug 3: four users and anguyen's CLI; Aug 4: three users and cdiaz's CLI; Aug 5: a 204
    assert first.rows == second.rows == 9
    assert first.pages == 3  # one batch a day
    assert list(UsageFact.objects.order_by("pk").values(*FIELDS)) == facts
    assert [r.args["day"] for r in copilot_api.report_requests[:3]] == [
        "2026-08-03",
        "2026-08-04",
        "2026-08-05",
    ]


def test_a_users_day_is_their_interactions_and_their_cli_tokens(copilot_connection) -> None:
    pull(copilot_connection)

    ide = fact("anguyen", AUG3)  # "ANguyen" in the report: logins are case-insensitive
    assert (ide.input, ide.output, ide.requests) == (0, 0, 12)
    # the premium request bill's netAmount, 0.4 + 0 (discounted by the included quota)
    assert ide.cost == Decimal("0.4")
    assert not ide.cost_estimated
    cli = fact("anguyen", AUG3, "copilot-cli")
    assert (cli.input, cli.output, cli.requests, cli.cost) == (3_800, 5_000, 2, Decimal(0))
    assert fact("cdiaz", AUG4).cost == Decimal("1.0")
    assert fact("bokafor", AUG3).cost == Decimal(0)  # no premium requests that day


def test_logins_are_people_through_their_saml_identity(copilot_connection, people) -> None:
    pull(copilot_connection)

    assert fact("anguyen", AUG3).account.person == people["alice"]
    assert fact("cdiaz", AUG3).account.person == people["carmen"]  # nameId in another casing
    # bokafor's nameId is no e-mail address: without the directory's column he is nobody's
    assert fact("bokafor", AUG3).account.person is None


def test_the_directory_maps_a_github_login_saml_does_not(copilot_connection, people) -> None:
    directory = (
        "email,name,team,manager_email,github_login\n"
        "bob.okafor@example.com,Bob Okafor,Payments,,BOkafor\n"
        "dana.li@example.com,Dana Li,Payments,,not a login!\n"
    )

    result = import_people(stream=io.BytesIO(directory.encode()))
    pull(copilot_connection)

    assert fact("bokafor", AUG3).account.person == people["bob"]
    assert [p.reason for p in result.problems] == [
        "github_login 'not a login!' is not a GitHub login; dana.li@example.com was imported "
        "without one"
    ]


def test_an_unknown_login_is_unattributed_and_a_bot_is_an_agent(copilot_connection, people) -> None:
    pull(copilot_connection)

    ghost = Account.objects.get(provider="copilot", external_id="ghost-dev")
    assert ghost.person is None
    assert ghost.kind == Account.Kind.USER
    page = usage.unattributed_page(today=AUG4)
    # four interactions and no tokens: still usage someone should own
    assert "ghost-dev" in [a.external_id for a in page.accounts]
    bot = Account.objects.get(provider="copilot", external_id="review-helper[bot]")
    assert bot.kind == Account.Kind.AGENT
    assert bot.person is None


def test_people_are_ranked_on_the_board_after_the_pull(copilot_connection, people) -> None:
    pull(copilot_connection)

    ranked = {p.email: p.total_tokens for p in usage.standings(period=usage.month_of(AUG3))}
    # only the Copilot CLI reports tokens (IDE use has none: see the capabilities entry)
    assert ranked["alice.nguyen@example.com"] == 3_800 + 5_000
    assert ranked["carmen.diaz@example.com"] == 1_200 + 800


def test_requests_carry_githubs_headers_and_the_files_host_never_sees_the_token(
    copilot_connection, copilot_api
) -> None:
    pull(copilot_connection)

    for request in copilot_api.report_requests + copilot_api.bill_requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert len(copilot_api.file_requests) == 3  # two files for Aug 3, one for Aug 4
    for request in copilot_api.file_requests:
        assert "Authorization" not in request.headers
        assert TOKEN not in str(request.headers)


def test_each_login_of_a_day_gets_its_own_bill(copilot_connection, copilot_api) -> None:
    pull(copilot_connection)

    asked = sorted(
        (r.args["user"], r.args["year"], r.args["month"], r.args["day"])
        for r in copilot_api.bill_requests
    )
    assert ("anguyen", "2026", "8", "3") in asked
    assert len(asked) == 4 + 3  # the logins of Aug 3 and of Aug 4
    assert set(copilot_api.bill_requests[0].args) == {"user", "year", "month", "day"}


def test_a_key_that_cannot_read_the_bill_leaves_costs_unknown(
    copilot_connection, copilot_api
) -> None:
    copilot_api.billing_status = 403

    run = pull(copilot_connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert len(copilot_api.bill_requests) == 1  # asked once, then no more
    alice = fact("anguyen", AUG3)
    assert alice.requests == 12
    assert alice.cost is None or alice.cost_estimated  # no billed cost is claimed


def test_a_rate_limited_bill_fails_the_pull_for_later_and_keeps_the_known_costs(
    copilot_connection, copilot_api
) -> None:
    pull(copilot_connection)
    copilot_api.billing_status = 403
    copilot_api.billing_message = "API rate limit exceeded for user ID 1."

    with pytest.raises(ProviderUnavailable):
        pull(copilot_connection)

    assert fact("anguyen", AUG3).cost == Decimal("0.4")
    assert IngestRun.objects.order_by("-started_at").first().status == IngestRun.Status.FAILED


def test_a_link_the_guard_refuses_is_never_fetched(copilot_connection, copilot_api) -> None:
    copilot_api.signed = lambda day, n: f"file:///reports/{day}/part-{n}.ndjson"

    run = pull(copilot_connection)

    assert run.status == IngestRun.Status.FAILED
    assert "Refused to send the key" in run.error
    assert copilot_api.file_requests == []


def test_a_download_to_a_private_address_is_refused_in_production(settings) -> None:
    settings.INGEST_ALLOW_PRIVATE_URLS = False
    adapter = CopilotAdapter(base_url="https://api.github.com", api_key=TOKEN, tenant="org/acme")

    with pytest.raises(UnsafeURL):
        adapter.downloads.download(
            "https://169.254.169.254/latest/meta-data?sig=x", shown="the report file"
        )
    adapter.close()


def test_an_enterprise_tenant_reads_the_enterprise_endpoints(
    db, httpserver, report_host, people
) -> None:
    api = CopilotStub(httpserver, report_host, kind="enterprise")
    connection, _ = connect_provider(
        name="copilot-enterprise",
        provider="copilot",
        api_key=TOKEN,
        base_url=api.base_url,
        tenant=f"enterprise/{SLUG}",
    )

    run = pull(connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert run.rows == 9
    assert api.report_requests[0].path == f"/enterprises/{SLUG}/copilot/metrics/reports/users-1-day"
    assert (
        api.bill_requests[0].path == f"/enterprises/{SLUG}/settings/billing/premium_request/usage"
    )
    assert fact("anguyen", AUG3).account.person == people["alice"]


def test_only_days_a_report_can_exist_for_are_asked(copilot_connection, copilot_api) -> None:
    today = dt.datetime.now(dt.UTC).date()

    run = pull(copilot_connection, start=dt.date(2025, 1, 1), end=today)

    assert run.status == IngestRun.Status.SUCCEEDED
    days = [dt.date.fromisoformat(r.args["day"]) for r in copilot_api.report_requests]
    # "Reports are available starting from October 10, 2025, and historical data can be
    # accessed for up to 1 year from the current date"; a report "covers a complete day"
    assert days[0] == max(dt.date(2025, 10, 10), today - dt.timedelta(days=365))
    assert days[-1] == today - dt.timedelta(days=1)


def test_report_days_skip_today_and_what_is_too_old() -> None:
    today = dt.date(2026, 12, 5)

    assert report_days(dt.date(2026, 12, 3), dt.date(2026, 12, 9), today) == [
        dt.date(2026, 12, 3),
        dt.date(2026, 12, 4),
    ]
    assert report_days(dt.date(2020, 1, 1), dt.date(2025, 12, 6), today)[0] == dt.date(2025, 12, 5)


@pytest.mark.parametrize("tenant", ["acme", "team/acme", "org/", "enterprise/-acme", "org/a b"])
def test_a_tenant_not_in_either_form_is_refused_with_the_form(db, tenant) -> None:
    with pytest.raises(ValueError, match="enterprise/<slug> or org/<name>"):
        connect_provider(name="copilot-x", provider="copilot", api_key=TOKEN, tenant=tenant)


def test_a_tenant_names_an_enterprise_or_an_organization() -> None:
    assert parse_tenant("enterprise/octo-corp") == ("enterprise", "octo-corp")
    assert parse_tenant(" org/OctoOrg ") == ("org", "OctoOrg")


def test_a_bad_token_fails_the_pull_with_githubs_words(copilot_connection, copilot_api) -> None:
    copilot_connection.api_key = "ghp_wrong"
    copilot_connection.save()

    run = pull(copilot_connection)

    assert run.status == IngestRun.Status.FAILED
    assert "401" in run.error
    assert "Bad credentials" in run.error
    assert "ghp_wrong" not in run.error


def test_check_reads_a_recent_report(copilot_connection) -> None:
    message = check_connection(connection=copilot_connection)

    assert "org acme" in message


def test_without_saml_the_logins_stay_nobodys_until_the_directory_names_them(
    copilot_connection, copilot_api, people
) -> None:
    copilot_api.saml = False

    run = pull(copilot_connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert fact("anguyen", AUG3).account.person is None


def test_connect_provider_takes_a_copilot_connection_with_its_tenant(db, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    command = ["connect_provider", "copilot-main", "--provider", "copilot"]

    call_command(*command, "--api-key-env", "GITHUB_TOKEN", "--tenant", "enterprise/octo")
    with pytest.raises(CommandError, match="enterprise/<slug> or org/<name>"):
        call_command(*command, "--api-key-env", "GITHUB_TOKEN", "--tenant", "octo")

    made = Connection.objects.get(name="copilot-main")
    assert (made.base_url, made.tenant) == ("https://api.github.com", "enterprise/octo")
