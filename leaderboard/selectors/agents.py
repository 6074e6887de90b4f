"""The agents' own board and page (issue 20 §1): automation ranked among agents by the
boards' lenses and periods, never beside people, each with its owner (a person or a team)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator

from leaderboard.db.rankings import ranked_agents
from leaderboard.domain import charts
from leaderboard.domain.json_values import JSON
from leaderboard.domain.periods import Period, Scope, period_of, unit_of
from leaderboard.domain.text import normalize_email
from leaderboard.models import Account, Board, Person, User
from leaderboard.selectors import history
from leaderboard.selectors.boards import BoardsHidden, NotFound
from leaderboard.selectors.people import HISTORY_PERIODS, history_periods
from leaderboard.selectors.site import boards_visible
from leaderboard.selectors.usage import people_by_email

PAGE_SIZE = 50
NO_SUCH_AGENT = "No such agent on Tokenboard."


@dataclass(frozen=True)
class Owner:
    """An agent's owner as others may see them: a person (under their own choice of how
    they appear) or a team."""

    name: str
    public_id: str = ""  # the person's page, when others may see it
    team_id: int | None = None  # a team owner's page


def _owner(account: Account, by_email: dict[str, Person], reader: User | None) -> Owner | None:
    # A manager's choice first, then the person the provider named, then a team.
    person = account.owner_person or by_email.get(normalize_email(account.owner_email))
    if person is not None and person.visibility != Person.Visibility.HIDDEN:
        shown = not person.excluded_from_ranking  # their page is theirs alone
        return Owner(person.shown_name(reader), person.public_id if shown else "")
    if account.owner_team is not None:
        return Owner(account.owner_team.name, team_id=account.owner_team.pk)
    return None


def owners(accounts: list[Account], reader: User | None) -> dict[int, Owner | None]:
    """Each agent's owner, in one query for the people the providers named."""
    by_email = people_by_email(a.owner_email for a in accounts if a.owner_person_id is None)
    return {a.pk: _owner(a, by_email, reader) for a in accounts}


@dataclass(frozen=True)
class AgentRow:
    rank: int
    agent_id: int
    name: str
    provider: str
    value: int | float | Decimal | None  # per the lens, as a board row's
    total_tokens: int
    cost: Decimal | None
    cost_estimated: bool
    owner: Owner | None


@dataclass(frozen=True)
class AgentsBoard:
    """Agents ranked by a lens over a period, a page at a time."""

    lens: str
    lenses: list[tuple[str, str]]
    unit: str
    kind: str
    kinds: list[tuple[str, str]]
    period: Period
    back: int
    page: Page[Account]  # for the page links
    rows: list[AgentRow]
    total: int


def agents_board(
    *,
    lens: str,
    kind: str,
    back: int,
    page: str | None,
    reader: User,
    show_cost: bool,
    today: dt.date,
) -> AgentsBoard:
    """The agents' board: ranked like a people board (ranked_agents), with owners."""
    if not boards_visible():
        raise BoardsHidden
    lenses = [(v, label) for v, label in Board.Lens.choices if show_cost or v != Board.Lens.COST]
    if lens not in dict(lenses):
        lens = Board.Lens.TOTAL_TOKENS
    if kind not in Board.Period.values:
        kind = Board.Period.MONTH
    period = period_of(kind, today, back)
    ranked = ranked_agents(Scope(lens=lens, period=period))
    shown = Paginator(ranked, PAGE_SIZE).get_page(page)
    found = list(shown.object_list)
    by_agent = owners(found, reader)
    # rank, value, total_tokens, cost: the ranking's annotations, unknown to the model
    rows = [
        AgentRow(
            rank=a.rank,  # type: ignore[attr-defined]
            agent_id=a.pk,
            name=a.name or a.external_id,
            provider=a.provider,
            value=a.value,  # type: ignore[attr-defined]
            total_tokens=int(a.total_tokens),  # type: ignore[attr-defined]
            cost=a.cost if show_cost else None,  # type: ignore[attr-defined]
            cost_estimated=bool(a.cost_estimated),  # type: ignore[attr-defined]
            owner=by_agent[a.pk],
        )
        for a in found
    ]
    return AgentsBoard(
        lens=lens,
        lenses=lenses,
        unit=unit_of(lens),
        kind=kind,
        kinds=list(Board.Period.choices),
        period=period,
        back=back,
        page=shown,
        rows=rows,
        total=shown.paginator.count,
    )


@dataclass(frozen=True)
class AgentPage:
    """An agent's usage over a period like a person's page: totals and charts by day."""

    account: Account
    name: str
    owner: Owner | None
    kind: str
    periods: list[str]
    period: Period
    chart_period: Period
    by: str
    totals: history.Totals
    charts: dict[str, dict[str, JSON] | None]


def agent_page(
    agent_id: int, *, reader: User, kind: str, by: str, show_cost: bool, today: dt.date
) -> AgentPage:
    account = (
        Account.objects.filter(pk=agent_id, kind=Account.Kind.AGENT)
        .select_related("owner_person", "owner_team")
        .first()
    )
    if account is None:
        raise NotFound(NO_SUCH_AGENT)
    if not boards_visible():
        raise BoardsHidden
    kind, period, chart_period = history_periods(kind, today)
    by = "source" if by == "source" else "model"
    days = history.daily(people=[], period=chart_period, by=by, agent=account.pk)
    totals = history.totals(people=[], period=period, agent=account.pk)
    if not show_cost:
        totals["cost"] = None  # and the template shows none
    return AgentPage(
        account=account,
        name=account.name or account.external_id,
        owner=owners([account], reader)[account.pk],
        kind=kind,
        periods=HISTORY_PERIODS,
        period=period,
        chart_period=chart_period,
        by=by,
        totals=totals,
        charts={
            "tokens": charts.tokens_by_day(days),
            "cost": charts.cost_by_day(days) if show_cost else None,
            "cache": charts.cache_share_by_day(days),
        },
    )
