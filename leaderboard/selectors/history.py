"""Reads for a person's or a team's history: daily usage and rank over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, Q, QuerySet, Sum

from leaderboard.db import metrics
from leaderboard.domain import capabilities
from leaderboard.domain.periods import RANK_CHART_PERIODS, TREND_DAYS, Period, period_of
from leaderboard.domain.pricing import cost_basis
from leaderboard.domain.rows import Day
from leaderboard.models import Board, Person, Source, Team, UsageFact
from leaderboard.selectors.rankings import places_of
from leaderboard.services.rankings import board_scope

# People by pk: a list, or a values_list("pk", flat=True) queryset (read as a subquery).
type People = QuerySet[Person, int] | list[int]


def _facts(*, people: People, period: Period, agent: int | None = None) -> QuerySet[UsageFact]:
    """Counted facts of these people, or (agent given) of that agent, in the period."""
    days = Q(day__range=(period.start, period.end))
    if agent is not None:  # nobody's by design (counted() asks for a person's facts)
        return UsageFact.objects.filter(days, source__counts_toward_totals=True, account=agent)
    return UsageFact.objects.filter(days, metrics.counted(), account__person__in=people)


def team_members(team: Team) -> QuerySet[Person]:
    """The members a team page lists and adds up: those shown by name. A team figure over
    anyone else, less what the named members' own pages show, would be that person's usage.
    Nor anyone excluded from ranking: they count toward no figure."""
    return team.members.filter(visibility=Person.Visibility.NAME, excluded_from_ranking=False)


def daily(
    *, people: People, period: Period, by: str = "source", agent: int | None = None
) -> list[Day]:
    """Usage per day and source (or model), oldest first: of people, or of one agent."""
    key = "source__name" if by == "source" else "model"
    rows = (
        _facts(people=people, period=period, agent=agent)
        .values("day", key)
        .annotate(
            tokens=metrics.aggregate("total_tokens"),
            cost=Sum("cost"),
            cache_read_sum=metrics.aggregate("cache_read"),
            input_side=metrics.aggregate("input_side"),
        )
        .order_by("day", key)
    )
    return [
        Day(
            r["day"],
            r[key],
            int(r["tokens"]),
            r["cost"],
            int(r["cache_read_sum"]),
            int(r["input_side"]),
        )
        for r in rows
    ]


class Totals(TypedDict):
    """Usage over a period, every metric the boards use (a person's or a team's page)."""

    total_tokens: int
    input: int
    cache_read: int
    cache_write: int
    output: int
    cost: Decimal | None
    active_days: int
    models: int
    requests: int | None  # None: n/a, none of the usage came with a request count
    requests_partial: bool  # some of it did not: the count covers the rest only
    # Usage a source reports without tokens (GitHub Copilot's IDE and chat use): "all" (the
    # token figures are n/a, not 0), "some" (they cover the rest only) or "".
    tokens_missing: str
    cost_basis: str
    cache_read_share: Decimal | None


def totals(*, people: People, period: Period, agent: int | None = None) -> Totals:
    """Totals over the period, of people or of one agent: every metric the boards use."""
    names = [
        "total_tokens",
        "input",
        "cache_read",
        "cache_write",
        "output",
        "cost",
        "active_days",
        "models",
    ]
    # Requests only from sources that report them: a Claude Code day did not take 0 requests.
    blind = Q(source__in=[s.pk for s in capabilities.without_requests()] or [-1])
    # Tokens likewise: a Copilot IDE day came with requests, not with 0 tokens.
    tokenless = Q(
        source__in=[s.pk for s, _ in capabilities.with_tokens_missing(Source.objects.all())]
        or [-1],
        input=0,
        cache_read=0,
        cache_write=0,
        output=0,
    )
    values = _facts(people=people, period=period, agent=agent).aggregate(
        **{f"m_{n}": metrics.aggregate(n) for n in names},
        **metrics.COST_PARTS,
        m_requests=metrics.aggregate("requests", filter=~blind),
        reporting=Count("pk", filter=~blind),
        not_reporting=Count("pk", filter=blind),
        with_tokens=Count("pk", filter=~tokenless),
        without_tokens=Count("pk", filter=tokenless),
    )
    reporting, not_reporting = values["reporting"], values["not_reporting"]
    with_tokens, without_tokens = values["with_tokens"], values["without_tokens"]
    return {
        "total_tokens": values["m_total_tokens"],
        "input": values["m_input"],
        "cache_read": values["m_cache_read"],
        "cache_write": values["m_cache_write"],
        "output": values["m_output"],
        "cost": values["m_cost"],
        "active_days": values["m_active_days"],
        "models": values["m_models"],
        "requests": None if not_reporting and not reporting else values["m_requests"],
        "requests_partial": bool(not_reporting and reporting),
        "tokens_missing": ("some" if with_tokens else "all") if without_tokens else "",
        "cost_basis": cost_basis(
            cost=values["m_cost"], estimated=bool(values["estimated"]), unpriced=values["unpriced"]
        ),
        "cache_read_share": metrics.ratio_value(
            "cache_read_share",
            {
                "cache_read": values["m_cache_read"],
                "input_side": values["m_input"] + values["m_cache_read"] + values["m_cache_write"],
            },
        ),
    }


def rank_history(
    *,
    person: Person,
    board: Board,
    today: dt.date,
    periods: int = RANK_CHART_PERIODS,
    top_n: int = 0,
) -> list[tuple[str, int | None]]:
    """The person's rank on the board in each of the last periods (None: not ranked, or past
    top_n when given)."""
    chosen = [period_of(board.period, today, back) for back in reversed(range(periods))]
    scopes = [board_scope(board, lens=board.metric, period=period) for period in chosen]
    rows = places_of(person.pk, scopes)
    return [
        (period.start.isoformat(), row.rank if row and not (top_n and row.rank > top_n) else None)
        for period, row in zip(chosen, rows, strict=True)
    ]


def daily_totals(
    person_ids: Iterable[int],
    end: dt.date,
    *,
    sources: tuple[int, ...] = (),
    days: int = TREND_DAYS,
) -> dict[int, list[int]]:
    """Total tokens per day for each person over the `days` days up to `end` (for sparklines:
    the trend into the period, whatever its length, and no day that has not come yet)."""
    start = end - dt.timedelta(days=days - 1)
    facts = UsageFact.objects.filter(
        metrics.counted(), account__person__in=list(person_ids), day__range=(start, end)
    )
    if sources:
        facts = facts.filter(source__in=sources)
    series: dict[int, list[int]] = {}
    for row in (
        facts.values("account__person", "day")
        .annotate(tokens=metrics.aggregate("total_tokens"))
        .order_by()
    ):
        values = series.setdefault(row["account__person"], [0] * days)
        values[(row["day"] - start).days] = int(row["tokens"])
    return series
