"""Gaming detection through the real pull (issue 20 §2): a burner and a loop planted in an
Anthropic pull are flagged and held, off the month board, the boards over days and badges;
a manager's confirmation keeps them out, a clearance puts them back and badges follow."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine

from badges import tasks as badge_tasks
from badges.models import Award
from ingest.services.pulls import pull_connection
from leaderboard.domain.periods import Period
from leaderboard.models import AuditEvent, Flag, Person, UsageFact
from leaderboard.selectors.rankings import Ranking
from leaderboard.services import review
from leaderboard.services.accounts import attribute_account
from leaderboard.services.rankings import board_scope
from leaderboard.signals import usage_recorded
from tests.factories import BadgeFactory, PersonFactory
from tests.helpers import rows

START, END = dt.date(2026, 8, 3), dt.date(2026, 9, 25)
SEPTEMBER = Period(dt.date(2026, 9, 1), dt.date(2026, 9, 30), "September 2026")
WEEK = Period(dt.date(2026, 9, 21), dt.date(2026, 9, 27), "Week 39")
BURN_DAY = dt.date(2026, 9, 24)
LOOP_DAYS = [dt.date(2026, 9, d) for d in (14, 15, 16, 17, 18, 21, 22, 23, 24, 25)]  # ten weekdays
MODEL = "claude-sonnet-4-5"
PEOPLE = {
    "user_gm_ada": "ada.burns@example.com",
    "user_gm_bruno": "bruno.keller@example.com",  # the burner
    "user_gm_lola": "lola.berg@example.com",  # the loop
    "user_gm_ines": "ines.roth@example.com",
    "user_gm_omar": "omar.said@example.com",
}


def result(account: str, *, input: int, cache_read: int, output: int) -> dict:
    return {
        "account_id": account,
        "api_key_id": None,
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
        "cache_read_input_tokens": cache_read,
        "context_window": None,
        "inference_geo": None,
        "model": MODEL,
        "output_tokens": output,
        "server_tool_use": {"web_search_requests": 0},
        "service_account_id": None,
        "service_tier": None,
        "uncached_input_tokens": input,
        "workspace_id": None,
    }


def usual(account: str, day: dt.date) -> dict:
    """A normal day: about 3M tokens, a tenth of it output, varying day to day."""
    tokens = int(3_000_000 * random.Random(f"{account}:{day}").uniform(0.5, 2.0))
    return result(account, input=tokens // 5, cache_read=tokens * 7 // 10, output=tokens // 10)


def day_results(day: dt.date, *, loop_output: int) -> list[dict]:
    found = []
    for account in PEOPLE:
        if account == "user_gm_bruno" and day == BURN_DAY:
            # two billion tokens read from the cache, a thousand written
            found.append(result(account, input=10_000, cache_read=2_000_000_000, output=1_000))
        elif account == "user_gm_lola" and day in LOOP_DAYS:
            found.append(result(account, input=2_000_000, cache_read=9_000_000, output=loop_output))
        elif day.weekday() < 5:
            found.append(usual(account, day))
    return found


def serve(anthropic_api, *, loop_output: int = 1_345_678) -> None:
    """One page of daily buckets for [START, END], and a users list of PEOPLE."""
    buckets, day = [], START
    while day <= END:
        buckets.append(
            {
                "starting_at": f"{day}T00:00:00Z",
                "ending_at": f"{day + dt.timedelta(days=1)}T00:00:00Z",
                "results": day_results(day, loop_output=loop_output),
            }
        )
        day += dt.timedelta(days=1)
    anthropic_api.usage_pages = {None: {"data": buckets, "has_more": False, "next_page": None}}
    users = [
        {"id": i, "added_at": "2026-01-01T00:00:00Z", "email": e, "name": e, "role": "developer"}
        | {"type": "user"}
        for i, e in PEOPLE.items()
    ]
    anthropic_api.users_pages = {
        None: {"data": users, "first_id": users[0]["id"], "last_id": users[-1]["id"]}
        | {"has_more": False}
    }


@pytest.fixture
def company(platform) -> dict[str, Person]:
    return {
        account.removeprefix("user_gm_"): PersonFactory(
            email=email, display_name=account.removeprefix("user_gm_").title(), team=platform
        )
        for account, email in PEOPLE.items()
    }


def pulled(connection) -> None:
    run = pull_connection(connection=connection, start=START, end=END, trigger="test")
    assert run.status == "succeeded", run.error


def tokens(person: Person, period: Period, *, held: bool | None = None) -> int:
    facts = UsageFact.objects.filter(account__person=person, day__range=(period.start, period.end))
    if held is not None:
        facts = facts.filter(held=held)
    return sum(f.total_tokens for f in facts)


def board_totals(board, period: Period) -> dict[int, int]:
    ranking = Ranking(board_scope(board, lens="total_tokens", period=period))
    return {row.person_id: row.total_tokens for row in ranking.page(limit=100)}


@pytest.fixture
def pulled_company(
    gaming_detection, gaming_rules, anthropic_connection, anthropic_api, company
) -> dict[str, Person]:
    serve(anthropic_api)
    pulled(anthropic_connection)
    return company


def test_a_burner_and_a_loop_in_a_pull_are_flagged_and_held(pulled_company) -> None:
    bruno, lola = pulled_company["bruno"], pulled_company["lola"]

    flagged = set(Flag.objects.values_list("person", "day", "rule__slug"))

    assert {(p, d) for p, d, _ in flagged} == {(bruno.pk, BURN_DAY)} | {
        (lola.pk, day) for day in LOOP_DAYS
    }
    assert {slug for p, _, slug in flagged if p == bruno.pk} >= {"spike", "low-output"}
    assert {slug for p, _, slug in flagged if p == lola.pk} == {"loop"}
    assert set(Flag.objects.values_list("status", flat=True)) == {Flag.Status.HELD}
    burn = Flag.objects.get(person=bruno, rule__slug="low-output")
    assert "2,000,010,000 input-side tokens but 1,000 output" in burn.reason
    held = set(UsageFact.objects.filter(held=True).values_list("account__person", "day"))
    assert held == {(bruno.pk, BURN_DAY)} | {(lola.pk, day) for day in LOOP_DAYS}


def test_held_days_are_off_the_month_board_the_week_board_and_the_board_page(
    pulled_company, seeded_boards, employee_client
) -> None:
    bruno, lola = pulled_company["bruno"], pulled_company["lola"]
    volume, weekly = seeded_boards["token-volume"], seeded_boards["output"]
    counted = tokens(bruno, SEPTEMBER, held=False)
    assert tokens(bruno, SEPTEMBER) > 2_000_000_000 > counted  # the burn is stored

    # Whole months rank from the usage months (PostgreSQL's triggers), a week from the facts.
    month = board_totals(volume, SEPTEMBER)
    assert month[bruno.pk] == counted
    assert month[lola.pk] == tokens(lola, SEPTEMBER, held=False) < tokens(lola, SEPTEMBER)
    assert board_totals(weekly, WEEK)[bruno.pk] == tokens(bruno, WEEK, held=False)
    with time_machine.travel(dt.datetime(2026, 9, 26, 12, tzinfo=dt.UTC), tick=False):
        page = employee_client.get(f"/boards/{volume.slug}/").content.decode()
    shown = {row.person: row for row in rows(page)}
    assert f'title="{counted}"' in shown[bruno.public_id].html  # his value cell
    assert rows(page)[0].person != bruno.public_id  # two billion tokens would top the board


def test_a_held_day_earns_no_badge_and_clearing_it_lets_badges_follow(
    pulled_company, manager, django_capture_on_commit_callbacks
) -> None:
    bruno = pulled_company["bruno"]
    big_month = BadgeFactory(period="month", tiers={"bronze": 1_000_000_000})
    badge_tasks.evaluate_changed(START.isoformat(), END.isoformat())
    assert not Award.objects.filter(badge=big_month).exists()

    # A full pass judges weekly badges from a rollup of the facts (badges.db.person_weeks).
    big_weeks = [BadgeFactory(period="week", tiers={"bronze": 1_000_000_000}) for _ in "ab"]
    badge_tasks.evaluate_changed()
    assert not Award.objects.filter(badge__in=[big_month, *big_weeks]).exists()

    heard = []

    def listener(sender, start=None, end=None, **kwargs) -> None:
        heard.append((sender, start, end))

    usage_recorded.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            cleared = review.clear(flags=Flag.objects.filter(person=bruno), by=manager)
    finally:
        usage_recorded.disconnect(listener)

    assert {f.status for f in cleared} == {Flag.Status.CLEARED}
    assert heard == [(Flag, BURN_DAY, BURN_DAY)]
    assert not UsageFact.objects.filter(account__person=bruno, held=True).exists()
    assert tokens(bruno, SEPTEMBER) == tokens(bruno, SEPTEMBER, held=False)
    badge_tasks.evaluate_changed(BURN_DAY.isoformat(), BURN_DAY.isoformat())  # what it queues
    assert list(Award.objects.filter(badge=big_month).values_list("person", flat=True)) == [
        bruno.pk
    ]
    badge_tasks.evaluate_changed()
    assert set(Award.objects.filter(badge__in=big_weeks).values_list("person", flat=True)) == {
        bruno.pk
    }
    events = AuditEvent.objects.filter(action="gaming flag cleared", target_id=str(bruno.pk))
    assert events.count() == len(cleared) and {e.actor_id for e in events} == {manager.pk}


def test_a_confirmed_day_stays_out_and_the_review_is_audited(
    pulled_company, seeded_boards, manager
) -> None:
    lola = pulled_company["lola"]
    volume = seeded_boards["token-volume"]

    confirmed = review.confirm(flags=Flag.objects.filter(person=lola), by=manager)

    assert len(confirmed) == len(LOOP_DAYS)
    assert board_totals(volume, SEPTEMBER)[lola.pk] == tokens(lola, SEPTEMBER, held=False)
    assert UsageFact.objects.filter(account__person=lola, held=True).count() == len(LOOP_DAYS)
    event = AuditEvent.objects.filter(action="gaming flag confirmed").first()
    assert event is not None and event.actor_id == manager.pk
    assert event.details["to"] == "confirmed" and event.target_id == str(lola.pk)


def test_pulling_again_makes_no_new_flag_keeps_held_days_held_and_a_cleared_one_cleared(
    pulled_company, anthropic_connection, anthropic_api, manager
) -> None:
    bruno, lola = pulled_company["bruno"], pulled_company["lola"]
    review.clear(flags=Flag.objects.filter(person=bruno), by=manager)
    flags = set(Flag.objects.values_list("pk", "status"))

    # The provider revises the loop's output a little: the merge rewrites those facts.
    serve(anthropic_api, loop_output=1_345_679)
    pulled(anthropic_connection)

    assert set(Flag.objects.values_list("pk", "status")) == flags
    assert UsageFact.objects.filter(account__person=lola, output=1_345_679).count() == 10
    assert UsageFact.objects.filter(account__person=lola, held=True).count() == len(LOOP_DAYS)
    assert not UsageFact.objects.filter(account__person=bruno, held=True).exists()


def test_clearing_a_day_moves_the_stored_rankings_on(pulled_company, seeded_boards, manager):
    bruno = pulled_company["bruno"]
    volume, weekly = seeded_boards["token-volume"], seeded_boards["output"]
    before = board_totals(volume, SEPTEMBER)[bruno.pk], board_totals(weekly, WEEK)[bruno.pk]

    review.clear(flags=Flag.objects.filter(person=bruno), by=manager)

    after = board_totals(volume, SEPTEMBER)[bruno.pk], board_totals(weekly, WEEK)[bruno.pk]
    assert after == (tokens(bruno, SEPTEMBER), tokens(bruno, WEEK))
    assert after[0] - before[0] == after[1] - before[1] == 2_000_011_000


def test_a_long_pull_is_judged_a_month_at_a_time_and_flags_what_one_pass_would(
    pulled_company,
) -> None:
    """The pull's 54 days were judged in windows of a month (each with its look back), so a
    year-long import never holds the year in memory: the flags are those of one pass."""
    by_windows = set(Flag.objects.values_list("person", "day", "rule__slug", "reason"))
    Flag.objects.all().delete()

    review.detect(start=START, end=END)

    assert (
        by_windows
        and set(Flag.objects.values_list("person", "day", "rule__slug", "reason")) == by_windows
    )


def test_an_account_given_to_someone_else_leaves_its_held_day_behind_with_the_flag(
    pulled_company, manager
) -> None:
    """A flag belongs to the person it was raised for: re-attributed, the burner's account
    counts for its new owner as their own flags say (none here), not held with no flag of
    theirs to see or to contest, and never released by a review of the old owner's flag."""
    bruno, ada = pulled_company["bruno"], pulled_company["ada"]
    burn = Period(BURN_DAY, BURN_DAY, "the burn")
    account = bruno.accounts.get()
    assert tokens(bruno, burn, held=True) > 2_000_000_000

    attribute_account(account=account, person=ada, by=manager)

    assert tokens(ada, burn, held=True) == 0
    assert tokens(ada, burn) > 2_000_000_000
    assert Flag.objects.filter(person=bruno, day=BURN_DAY).exists()  # his, as raised

    attribute_account(account=account, person=bruno, by=manager)

    assert tokens(bruno, burn, held=True) == tokens(bruno, burn)  # his held day again
