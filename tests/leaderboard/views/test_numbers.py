"""The "how the numbers work" page (leaderboard.web.views.boards.numbers): each lens's formula,
generated from the metric table, and each enabled badge in words with its rarity."""

from __future__ import annotations

import datetime as dt

from leaderboard.db.metrics import METRICS, RATIOS
from leaderboard.models import Board
from tests.factories import (
    AccountFactory,
    AwardFactory,
    BadgeFactory,
    PersonFactory,
    UsageFactFactory,
    days_ago,
)
from tests.helpers import elements


def _lenses(page: str) -> dict[str, str]:
    return {e.attrs["data-lens"] or "": e.text for e in elements(page, "div", data_lens=None)}


def test_every_lens_is_explained_from_the_metric_table(employee_client) -> None:
    lenses = _lenses(employee_client.get("/numbers/").content.decode())

    assert set(lenses) == set(Board.Lens.values)
    for part in ["input", "cache_read", "cache_write", "output"]:
        assert METRICS[part].label.lower() in lenses["total_tokens"]
    share = RATIOS["cache_read_share"]
    assert share.label in lenses["cache_read_share"]
    assert METRICS[share.denominator].label.lower() in lenses["cache_read_share"]
    assert "minimum" in lenses["cache_read_share"]  # tiny usage cannot win
    assert METRICS["cost"].label in lenses["cost"]
    assert METRICS["active_days"].label in lenses["active_days"]


def _active(n: int, *, day: dt.date) -> list:
    people = [PersonFactory() for _ in range(n)]
    for person in people:
        UsageFactFactory(account=AccountFactory(person=person), day=day)
    return people


def _rarity(page: str, slug: str) -> tuple[str, str, str]:
    (badge,) = elements(page, "article", data_badge=slug)
    (rarity,) = elements(badge.html, "p", data_rarity=None)
    return rarity.attrs["data-rarity"] or "", rarity.attrs["data-gold"] or "", badge.text


def test_each_enabled_badge_is_explained_with_its_rarity_among_active_people(
    employee_client,
) -> None:
    """An all-time badge: of the people active in the last 30 days (the idle holder is not
    counted), half hold it and a quarter at gold or better."""
    badge = BadgeFactory(enabled=True, name="Big Spender", description="Uses a lot of tokens.")
    hidden = BadgeFactory(enabled=False, name="Not yet")
    people = _active(4, day=days_ago(3))
    AwardFactory(person=people[0], badge=badge, tier="bronze")
    AwardFactory(person=people[1], badge=badge, tier="platinum")
    AwardFactory(person=people[2], badge=badge, tier="silver", revoked_at=dt.datetime.now(dt.UTC))
    idle = _active(1, day=days_ago(60))[0]
    AwardFactory(person=idle, badge=badge, tier="gold")

    page = employee_client.get("/numbers/").content.decode()

    held, gold, text = _rarity(page, badge.slug)
    assert (held, gold) == ("2/4", "1/4")
    assert "Uses a lot of tokens." in text and "50.0%" in text and "25.0%" in text
    assert "Bronze 100" in text and "Gold 1000" in text  # the tiers in words
    assert not elements(page, "article", data_badge=hidden.slug)


def test_a_periodic_badge_is_rare_among_the_people_active_in_its_latest_period(
    employee_client,
) -> None:
    badge = BadgeFactory(enabled=True, period="month")
    july = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    june = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    people = _active(5, day=dt.date(2026, 7, 10))
    _active(3, day=dt.date(2026, 6, 10))  # active only in an earlier month
    AwardFactory(
        person=people[0], badge=badge, tier="gold", period_start=july[0], period_end=july[1]
    )
    AwardFactory(person=people[1], badge=badge, period_start=june[0], period_end=june[1])

    held, gold, text = _rarity(employee_client.get("/numbers/").content.decode(), badge.slug)

    assert (held, gold) == ("1/5", "1/5")
    assert "2026-07-01..2026-07-31" in text


def test_the_cached_catalogue_follows_new_awards_and_usage(employee_client) -> None:
    badge = BadgeFactory(enabled=True)
    people = _active(2, day=days_ago(1))
    assert _rarity(employee_client.get("/numbers/").content.decode(), badge.slug)[0] == "0/2"

    AwardFactory(person=people[0], badge=badge)
    assert _rarity(employee_client.get("/numbers/").content.decode(), badge.slug)[0] == "1/2"

    _active(2, day=days_ago(1))
    assert _rarity(employee_client.get("/numbers/").content.decode(), badge.slug)[0] == "1/4"
