"""The data status page and its admin view, and the boards' note on days whose data is not
complete yet, over real pulls of the provider stand-ins (tests/stubs.py) at set times."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
import time_machine

from ingest.models import IngestRun
from ingest.selectors import complete_through, data_status
from ingest.services.pulls import pull_connection
from ingest.services.uploads import import_usage_file
from leaderboard.models import Account, Source, UsageFact
from leaderboard.services.usage import count_source
from tests.factories import AccountFactory, PersonFactory, UsageFactFactory, UserFactory

# Both stand-ins report 3-5 Aug 2026. Half an hour into 5 Aug, OpenAI (no documented delay)
# has reported 4 Aug completely; Claude Code ("only data older than 1 hour") only 3 Aug.
PULLED = dt.datetime(2026, 8, 5, 0, 30, tzinfo=dt.UTC)
VIEWED = PULLED + dt.timedelta(minutes=10)
SAMPLE = (dt.date(2026, 8, 3), dt.date(2026, 8, 5))


def pull_twice(*connections, at: dt.datetime = PULLED, window=SAMPLE) -> None:
    with time_machine.travel(at, tick=False):
        for _ in range(2):  # a second pull changes nothing
            for connection in connections:
                run = pull_connection(connection=connection, start=window[0], end=window[1])
                assert run.status == IngestRun.Status.SUCCEEDED, run.error


@pytest.fixture
def pulled(alice, bob, openai_connection, claude_code_connection):
    pull_twice(openai_connection, claude_code_connection)
    return {"openai": openai_connection, "claude_code": claude_code_connection}


def section(page: str, source: str) -> str:
    """The status page's card of one source, its tags stripped."""
    card = page.split(f'id="source-{source}"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


def unowned_share(source: str) -> str:
    """What no person owns of a source's August tokens, as the pages write a share."""
    facts = UsageFact.objects.filter(source__name=source).select_related("account")
    total = sum(f.total_tokens for f in facts)
    unowned = sum(f.total_tokens for f in facts if f.account.person_id is None)
    assert 0 < unowned < total  # the samples have both
    share = unowned / total
    shown = "<0.1%" if share < 0.001 else ">99.9%" if share > 0.999 else f"{100 * share:.1f}%"
    return html.escape(shown)


@pytest.mark.parametrize(
    ("provider", "started", "window_end", "through"),
    [
        # a pull sees up to its start, less the provider's delay; a day ends at midnight UTC
        ("claude_code", dt.datetime(2026, 8, 5, 1, 0, tzinfo=dt.UTC), dt.date(2026, 8, 5), 4),
        ("claude_code", dt.datetime(2026, 8, 5, 0, 59, tzinfo=dt.UTC), dt.date(2026, 8, 5), 3),
        ("anthropic", dt.datetime(2026, 8, 5, 0, 5, tzinfo=dt.UTC), dt.date(2026, 8, 5), 4),
        ("anthropic", dt.datetime(2026, 8, 5, 0, 4, tzinfo=dt.UTC), dt.date(2026, 8, 5), 3),
        ("cursor", dt.datetime(2026, 8, 5, 0, 30, tzinfo=dt.UTC), dt.date(2026, 8, 5), 3),
        ("openai", dt.datetime(2026, 8, 5, 0, 0, tzinfo=dt.UTC), dt.date(2026, 8, 5), 4),
        # a window that ended days before the pull says nothing of the days after it
        ("openai", dt.datetime(2026, 8, 9, 12, 0, tzinfo=dt.UTC), dt.date(2026, 8, 2), 2),
        # a file is complete through its last day
        ("file", dt.datetime(2026, 8, 1, 0, 0, tzinfo=dt.UTC), dt.date(2026, 8, 7), 7),
    ],
)
def test_a_day_is_complete_once_a_pull_saw_it_end_plus_the_providers_delay(
    provider, started, window_end, through
):
    assert complete_through(
        provider=provider, started_at=started, window_end=window_end
    ) == dt.date(2026, 8, through)


def test_the_status_page_lists_each_source_with_its_pull_complete_day_gaps_and_unowned_share(
    employee_client, pulled
):
    with time_machine.travel(VIEWED, tick=False):
        page = employee_client.get("/data/").content.decode()

    claude_code = section(page, "claude-code")
    assert "Claude Code analytics" in claude_code
    assert "Last successful pull 5 Aug 2026, 00:30 UTC" in claude_code
    assert "Complete through 3 Aug 2026" in claude_code
    assert "Only data older than 1 hour is reported" in claude_code
    assert "Requests n/a (not reported)" in claude_code
    assert "Cannot report Request counts" in claude_code
    assert f"No person owns {unowned_share('claude-code')}" in claude_code
    assert "API key" in claude_code  # the ci-bot-key actor, by its kind's label
    openai = section(page, "openai-main")
    assert "Complete through 4 Aug 2026" in openai
    assert "Requests Reported" in openai
    assert "Cannot report Per-person cost" in openai
    assert "Estimated from list prices" in openai
    assert f"No person owns {unowned_share('openai-main')}" in openai


def test_the_status_page_tells_a_failed_latest_pull_and_a_source_never_pulled(
    employee_client, pulled, anthropic_connection
):
    IngestRun.objects.create(
        connection=pulled["openai"],
        window_start=SAMPLE[0],
        window_end=SAMPLE[1],
        status=IngestRun.Status.FAILED,
        started_at=VIEWED,
    )
    with time_machine.travel(VIEWED, tick=False):
        page = employee_client.get("/data/").content.decode()

    assert "the latest attempt failed" in section(page, "openai-main")
    assert "Complete through 4 Aug 2026" in section(page, "openai-main")  # still what it was
    never = section(page, "anthropic-main")
    assert "Last successful pull never" in never
    assert "Complete through no day yet" in never


def test_usage_no_person_owns_is_shared_out_by_account_kind_new_kinds_included(employee_client):
    """A file source's month: a person's 600 tokens, unattributed 300, an API key's 60 and
    an agent's 40 (a kind this app does not know yet: it shows under its own name)."""
    now = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        run = import_usage_file(
            source="gateway", stream=io.BytesIO(b"day,email,model,input\n"), filename="g.csv"
        )
    assert run.status == IngestRun.Status.SUCCEEDED
    gateway = Source.objects.get(name="gateway")
    for person, kind, tokens in [
        (PersonFactory(), Account.Kind.USER, 600),
        (None, Account.Kind.UNATTRIBUTED, 300),
        (None, Account.Kind.API_KEY, 60),
        (None, "agent", 40),
    ]:
        account = AccountFactory(provider=gateway.provider, person=person, kind=kind)
        UsageFactFactory(
            source=gateway, account=account, day=dt.date(2026, 8, 3), input=tokens, output=0
        )
    UsageFactFactory(source=gateway, day=dt.date(2026, 7, 31), input=10**6)  # not this month

    (status,) = data_status(now=now)

    assert status.is_file and status.month_tokens == 1_000
    assert [(u.label, u.tokens, u.share) for u in status.unowned] == [
        ("Unattributed", 300, Decimal("0.3")),
        ("API key", 60, Decimal("0.06")),
        ("Agent", 40, Decimal("0.04")),
    ]
    assert status.unowned_share == Decimal("0.4")
    assert status.complete_through == dt.date(2026, 8, 20)  # an import is complete as given
    count_source(source=gateway, counted=False)
    with time_machine.travel(now, tick=False):
        card = section(employee_client.get("/data/").content.decode(), "gateway")
    assert "No person owns 40.0%" in card
    assert "Unattributed 30.0% (300 tokens); API key 6.0% (60 tokens); Agent 4.0%" in card
    assert "Set aside:" in card
    assert "Last import 20 Aug 2026, 12:00 UTC" in card


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/data/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_status_page_is_linked_from_the_footer_and_the_about_page(employee_client):
    assert 'href="/data/"' in employee_client.get("/about/").content.decode().split("<footer>")[0]
    assert 'href="/data/">Data status</a></footer>' in employee_client.get("/").content.decode()


def test_the_admin_shows_the_same_facts(client, pulled):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    with time_machine.travel(VIEWED, tick=False):
        status = client.get("/admin/ingest/connection/data-status/").content.decode()
        listing = client.get("/admin/ingest/connection/").content.decode()

    rows = {
        re.sub(r"<[^>]+>", "", row.split("</td>", 1)[0]): re.sub(r"\s+", " ", row)
        for row in status.split("<tr>\n      <td>")[1:]
    }
    assert "<td>2026-08-05 00:30 UTC</td>" in rows["claude-code"]
    assert "<td>2026-08-03</td>" in rows["claude-code"]
    assert "<td>n/a</td>" in rows["claude-code"]
    assert f"<td>{unowned_share('claude-code')}</td>" in rows["claude-code"]
    assert "<td>2026-08-04</td>" in rows["openai-main"]
    assert "<td>reported</td>" in rows["openai-main"]
    assert 'href="/admin/ingest/connection/data-status/"' in listing
    assert "Complete through" in listing
    assert "Aug. 3, 2026" in listing and "Aug. 4, 2026" in listing
    assert "request counts" in listing


def test_a_board_marks_the_days_whose_data_is_not_complete_yet(employee_client, pulled, volume):
    with time_machine.travel(VIEWED, tick=False):
        page = employee_client.get("/boards/token-volume/").content.decode()

    note = re.sub(r"\s+", " ", page.split('class="note incomplete-days"', 1)[1].split("</p>")[0])
    # OpenAI is complete through 4 Aug, Claude Code only through 3 Aug
    assert "Data for 4 Aug–5 Aug is not complete yet" in note
    assert "claude-code (Claude Code analytics: only data older than 1 hour is reported; " in note
    assert "last pull 5 Aug, 00:30 UTC)" in note
    assert "openai-main (OpenAI: no reporting delay is documented; last pull 5 Aug" in note
    with time_machine.travel(VIEWED, tick=False):
        july = employee_client.get("/boards/token-volume/", {"back": 1}).content.decode()
    assert "incomplete-days" not in july


def test_on_the_first_of_a_month_the_last_day_of_the_month_before_is_not_complete_yet(
    employee_client, alice, claude_code_connection, volume
):
    first = dt.datetime(2026, 9, 1, 0, 30, tzinfo=dt.UTC)
    pull_twice(claude_code_connection, at=first, window=(dt.date(2026, 8, 30), dt.date(2026, 9, 1)))

    with time_machine.travel(first + dt.timedelta(minutes=5), tick=False):
        # September asked for: on its first day the board opens on August
        september = employee_client.get("/boards/token-volume/", {"back": 0}).content.decode()
        august = employee_client.get("/boards/token-volume/").content.decode()

    assert "Data for 1 Sep is not complete yet" in september
    assert "Data for 31 Aug is not complete yet" in august
    assert "August 2026" in august

    # An hour later a pull sees all of August: only today is left
    later = first + dt.timedelta(hours=1)
    pull_twice(claude_code_connection, at=later, window=(dt.date(2026, 8, 30), dt.date(2026, 9, 1)))
    with time_machine.travel(later + dt.timedelta(minutes=5), tick=False):
        august = employee_client.get("/boards/token-volume/", {"back": 1}).content.decode()
        september = employee_client.get("/boards/token-volume/", {"back": 0}).content.decode()
    assert "incomplete-days" not in august
    assert "Data for 1 Sep is not complete yet" in september


def test_a_board_of_other_sources_is_not_marked_for_a_source_it_does_not_rank(
    employee_client, pulled, volume
):
    volume.sources.set([pulled["openai"].source])

    with time_machine.travel(VIEWED, tick=False):
        page = employee_client.get("/boards/token-volume/").content.decode()

    assert "Data for 5 Aug is not complete yet" in page
    assert "claude-code (" not in page
