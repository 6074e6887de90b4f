from __future__ import annotations

import datetime as dt

from leaderboard.selectors import usage
from tests.factories import AccountFactory, PersonFactory, SourceFactory, UsageFactFactory

AUGUST = usage.month_of(dt.date(2026, 8, 17))


def test_month_of_covers_the_whole_calendar_month() -> None:
    assert (AUGUST.start, AUGUST.end, AUGUST.label) == (
        dt.date(2026, 8, 1),
        dt.date(2026, 8, 31),
        "August 2026",
    )
    assert usage.month_of(dt.date(2028, 2, 10)).end == dt.date(2028, 2, 29)


def test_standings_rank_by_total_tokens_and_ties_share_a_rank(db) -> None:
    source = SourceFactory()
    for name, tokens in [("Ada", 300), ("Ben", 500), ("Cy", 500), ("Di", 100)]:
        account = AccountFactory(person=PersonFactory(display_name=name))
        UsageFactFactory(
            source=source, account=account, day=dt.date(2026, 8, 2), input=tokens - 10, output=10
        )

    ranked = [(p.rank, p.display_name, p.total_tokens) for p in usage.standings(period=AUGUST)]

    assert ranked == [(1, "Ben", 500), (1, "Cy", 500), (3, "Ada", 300), (4, "Di", 100)]


def test_standings_sum_every_account_and_count_only_the_period(db) -> None:
    ada = PersonFactory()
    for account in (
        AccountFactory(person=ada, provider="openai"),
        AccountFactory(person=ada, provider="anthropic"),
    ):
        UsageFactFactory(
            account=account,
            day=dt.date(2026, 8, 31),
            input=1,
            cache_read=2,
            cache_write=3,
            output=4,
        )
        UsageFactFactory(account=account, day=dt.date(2026, 9, 1), input=1000)

    (row,) = usage.standings(period=AUGUST)

    assert row.total_tokens == 2 * (1 + 2 + 3 + 4)


def test_standings_leave_out_excluded_sources_and_unowned_accounts(db) -> None:
    ada = PersonFactory()
    duplicate = SourceFactory(name="claude-code-via-api", counts_toward_totals=False)
    UsageFactFactory(
        account=AccountFactory(person=ada), day=dt.date(2026, 8, 5), input=10, output=0
    )
    UsageFactFactory(
        account=AccountFactory(person=ada), source=duplicate, day=dt.date(2026, 8, 5), input=1000
    )
    UsageFactFactory(account=AccountFactory(person=None), day=dt.date(2026, 8, 5), input=10**6)

    assert [(p, p.total_tokens) for p in usage.standings(period=AUGUST)] == [(ada, 10)]
