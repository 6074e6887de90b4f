"""No badge and no score for spending alone (issue 20 §3): every volume badge of the default
catalogue has an efficiency floor, and a pure burner pulled through the real ingest path (the
Cursor stub, over HTTP) earns no badge and scores below the median."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from badges import rules
from badges.models import Award, Badge
from badges.services import evaluate_all, evaluate_badge
from ingest.models import IngestRun
from ingest.providers.cursor import CursorAdapter
from ingest.services.pulls import pull_connection
from leaderboard.domain.periods import Period
from leaderboard.models import Board, UsageFact
from leaderboard.selectors.rankings import Ranking
from leaderboard.services.rankings import board_scope
from tests.factories import AccountFactory, BadgeFactory, PersonFactory, UsageFactFactory
from tests.helpers import elements

AUGUST = Period(dt.date(2026, 8, 1), dt.date(2026, 8, 31), "August 2026")
SETTLED = dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)  # August and its weeks long closed
BURNER = "burner@example.com"
WORKERS = [f"worker{n}@example.com" for n in range(1, 7)]


def event(email: str, day: dt.date, *, input: int, output: int, cache_read: int, cents: str):
    at = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    return {
        "timestamp": str(int(at.timestamp() * 1000)),
        "userEmail": email,
        "conversationId": f"{email}-{day}",
        "model": "claude-4.5-sonnet",
        "kind": "Usage-based",
        "maxMode": False,
        "requestsCosts": 2,
        "isTokenBasedCall": True,
        "isChargeable": True,
        "isHeadless": False,
        "tokenUsage": {
            "inputTokens": input,
            "outputTokens": output,
            "cacheWriteTokens": 0,
            "cacheReadTokens": cache_read,
            "totalCents": float(cents),
        },
        "chargedCents": float(cents),
        "cursorTokenFee": 0,
    }


def august_days(first: int, count: int) -> list[dt.date]:
    return [dt.date(2026, 8, first + d) for d in range(count)]


@pytest.fixture
def pulled(cursor_connection, cursor_api, catalogue, monkeypatch):
    """A month of Cursor usage: six people who work (output about 3% of input-side tokens,
    some cache reads, a few dollars a day) and a burner (40M input tokens a day, 200 output
    tokens, $250 a day), pulled twice through the stub."""
    monkeypatch.setattr(CursorAdapter, "page_size", 100)
    people = {email: PersonFactory(email=email) for email in [BURNER, *WORKERS]}
    events = [
        event(BURNER, day, input=40_000_000, output=200, cache_read=0, cents="25000")
        for day in august_days(1, 28)
    ]
    for n, email in enumerate(WORKERS, start=1):
        for day in august_days(n, 6 + 3 * n):
            events.append(
                event(
                    email,
                    day,
                    input=200_000 * n,
                    output=25_000 * n,
                    cache_read=600_000 * n,
                    cents=str(150 * n),
                )
            )
    cursor_api.events = events
    for _ in range(2):
        run = pull_connection(
            connection=cursor_connection, start=AUGUST.start, end=AUGUST.end, trigger="test"
        )
        assert run.status == IngestRun.Status.SUCCEEDED, run.error
    assert UsageFact.objects.filter(account__person=people[BURNER]).count() == 28
    return people


def test_every_volume_badge_of_the_default_catalogue_has_a_floor(catalogue) -> None:
    efficiency = {slug for slug, b in catalogue.items() if b.kind == Badge.Kind.RATIO}
    assert efficiency == {"cache-wizard", "frugal-finisher", "lean-prompter"}
    for slug, badge in catalogue.items():
        if slug not in efficiency:
            assert rules.floor_of(badge) == Decimal("0.01"), slug


def test_a_burner_pulled_through_ingest_earns_no_badge(pulled) -> None:
    evaluate_all(now=SETTLED)

    assert not Award.objects.filter(person=pulled[BURNER]).exists()
    held = set(Award.objects.values_list("badge__slug", flat=True))
    # the people who work earn volume badges (and efficiency ones): the floors leave them be
    assert {"token-legend", "weekly-podium", "cache-wizard"} <= held


def test_a_burner_pulled_through_ingest_scores_below_the_median(pulled) -> None:
    board = Board.objects.create(name="Score", slug="score-board", top_only=False)
    assert board.metric == Board.Lens.SCORE  # a new board's default lens
    ranking = Ranking(board_scope(board, lens=board.metric, period=AUGUST))
    values = {row.person_id: row.value for row in ranking.page(limit=100)}

    assert len(values) == 7
    median = statistics.median(values.values())
    assert values[pulled[BURNER].pk] < median
    assert values[pulled[BURNER].pk] == min(values.values())
    # ...though by total tokens the burner is far ahead of everyone
    tokens = Ranking(board_scope(board, lens=Board.Lens.TOTAL_TOKENS, period=AUGUST))
    assert tokens.page(limit=1)[0].person_id == pulled[BURNER].pk


@pytest.mark.parametrize("from_facts", [False, True])
def test_a_floor_keeps_a_group_below_it_from_a_threshold_and_a_rank(db, from_facts) -> None:
    """A monthly threshold and a weekly rank, over the facts and over the months: the burner
    would reach both, and is not ranked, so the person who works takes first place."""
    burner, worker = PersonFactory(), PersonFactory()
    for person, input, output in [(burner, 2_000_000, 9), (worker, 1_000_000, 5_000)]:
        account = AccountFactory(person=person)
        for day in august_days(3, 5):  # Monday to Friday of one week
            UsageFactFactory(account=account, day=day, input=input, output=output)
    floor = {rules.queries.FLOOR: "0.001"}
    volume = BadgeFactory(
        params={"metric": "total_tokens", **floor}, tiers={"bronze": 1000}, period="month"
    )
    podium = BadgeFactory(
        kind="rank", params={"metric": "total_tokens", **floor}, tiers={"gold": 1}, period="week"
    )
    for badge in (volume, podium):
        found = rules.qualifiers(badge, today=SETTLED.date(), from_facts=from_facts)
        assert {(q.person_id, q.tier) for q in found} == {
            (worker.pk, "bronze" if badge == volume else "gold")
        }


def test_a_floor_keeps_a_burner_from_first_usage_and_streaks(db) -> None:
    burner, worker = PersonFactory(), PersonFactory()
    for person, output in [(burner, 9), (worker, 5_000)]:
        account = AccountFactory(person=person)
        for day in august_days(3, 5):
            UsageFactFactory(account=account, day=day, input=1_000_000, output=output)
    floor = {rules.queries.FLOOR: "0.001"}
    first = BadgeFactory(kind="first", params=floor, tiers={"bronze": None}, period="all_time")
    streak = BadgeFactory(kind="streak", params=floor, tiers={"gold": 5}, period="all_time")
    for badge in (first, streak):
        evaluate_badge(badge=badge, now=SETTLED)
        assert set(Award.objects.filter(badge=badge).values_list("person", flat=True)) == {
            worker.pk
        }


@pytest.mark.parametrize("value", ["-1", "0", "lots"])
def test_a_floor_must_be_a_positive_number(value) -> None:
    with pytest.raises(ValidationError, match="min_output_per_input"):
        rules.validate(
            kind="threshold",
            params={"metric": "output", "min_output_per_input": value},
            tiers={"gold": 1},
            period="month",
        )


def test_the_numbers_page_states_each_floor(employee_client, catalogue) -> None:
    page = employee_client.get("/numbers/").content.decode()
    (volume,) = elements(page, "article", data_badge="token-volume")
    (floor,) = elements(volume.html, "p", data_floor="0.01")
    assert "0.01 output tokens per input-side token" in floor.text
    (wizard,) = elements(page, "article", data_badge="cache-wizard")
    assert not elements(wizard.html, "p", data_floor=None)
