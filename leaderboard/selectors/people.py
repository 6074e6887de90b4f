"""The people pages: a person's page (their history, read lazily) and a team's; and who
owns an e-mail address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils.functional import cached_property

from leaderboard.domain import charts
from leaderboard.domain.json_values import JSON
from leaderboard.domain.periods import Period, Scope, period_of
from leaderboard.domain.rows import Row
from leaderboard.models import Board, Flag, Person, Team, User
from leaderboard.selectors import history
from leaderboard.selectors.boards import BoardsHidden, NotFound, shown_boards
from leaderboard.selectors.ledger import LedgerEntry, standing_ledger
from leaderboard.selectors.rankings import Ranking
from leaderboard.selectors.site import Site, all_boards, boards_visible, sees_cost, site
from leaderboard.services.rankings import board_scope, scope_key


def owner_of_email(email: str) -> User | None:
    """The login an e-mail address belongs to: its Person's user, else a user with that
    e-mail (compared case-insensitively, like every e-mail here)."""
    person = (
        Person.objects.filter(email__iexact=email, user__isnull=False)
        .select_related("user")
        .first()
    )
    if person is not None:
        return person.user
    return User.objects.filter(email__iexact=email).order_by("pk").first()


NO_SUCH_PERSON = "No such person on Tokenboard."
HISTORY_PERIODS: list[str] = [
    Board.Period.WEEK,
    Board.Period.MONTH,
    Board.Period.QUARTER,
    Board.Period.ALL_TIME,
]


def history_periods(kind: str, today: dt.date) -> tuple[str, Period, Period]:
    """The period a person or team page shows (a kind of HISTORY_PERIODS, else the month),
    and the days its charts cover (all time is charted over the last quarter)."""
    if kind not in HISTORY_PERIODS:
        kind = Board.Period.MONTH
    period = period_of(kind, today)
    chart = period_of(Board.Period.QUARTER, today) if kind == Board.Period.ALL_TIME else period
    return kind, period, chart


def person_called(public_id: str, *, reader: User) -> Person:
    """The person a URL names, with the same NotFound whether nobody has that id or they
    hide from this reader (only their owner sees a hidden person, or one excluded from
    ranking: on no board, their page would show what the boards leave out)."""
    try:
        person = Person.objects.select_related("team", "manager").get(public_id=public_id)
    except Person.DoesNotExist:
        raise NotFound(NO_SUCH_PERSON) from None
    shown = person.visibility != Person.Visibility.HIDDEN and not person.excluded_from_ranking
    if not shown and not is_owner(person, reader):
        raise NotFound(NO_SUCH_PERSON)
    return person


def own_person(public_id: str, *, reader: User) -> Person:
    """The reader's own Person by its URL id; anyone else's is NotFound, as for a missing id
    (a refusal would tell that this person exists, maybe hidden)."""
    person = Person.objects.filter(public_id=public_id).first()
    if person is None or not is_owner(person, reader):
        raise NotFound(NO_SUCH_PERSON)
    return person


def is_owner(person: Person, reader: User) -> bool:
    return person.user_id is not None and person.user_id == reader.pk


@dataclass(frozen=True)
class PersonPage:
    site: Site
    person: Person
    is_owner: bool
    shown_name: str
    pseudonymous: bool
    visibilities: list[tuple[str, str]]
    kind: str
    periods: list[str]
    period: Period
    by: str
    boards: list[Board]
    rank_board: Board | None
    history: PersonHistory
    chart_period: Period
    ledger: list[LedgerEntry]  # the owner's only (others get none)
    flags: list[Flag]  # the owner's only: nobody else sees a flag


def person_page(
    public_id: str, *, reader: User, kind: str, by: str, board: str, today: dt.date
) -> PersonPage:
    person = person_called(public_id, reader=reader)
    owner = is_owner(person, reader)
    state = site()
    if not state.boards_visible and not owner:
        raise BoardsHidden
    kind, period, chart_period = history_periods(kind, today)
    by = "model" if by == "model" else "source"
    show_cost = sees_cost(reader)
    every = shown_boards(all_boards(state.boards_version), show_cost=show_cost)
    ranked_boards = [b for b in every if b.status == Board.Status.ACTIVE]
    rank_board = next(
        (b for b in ranked_boards if b.slug == board), ranked_boards[0] if ranked_boards else None
    )
    return PersonPage(
        site=state,
        person=person,
        is_owner=owner,
        shown_name=person.shown_name(reader),
        pseudonymous=person.visibility == Person.Visibility.PSEUDONYM and not owner,
        visibilities=Person.Visibility.choices,
        kind=kind,
        periods=HISTORY_PERIODS,
        period=period,
        by=by,
        boards=ranked_boards,
        rank_board=rank_board,
        history=PersonHistory(
            person,
            period,
            chart_period,
            by,
            rank_board,
            today,
            state.usage_version,
            # Others see a rank on a top-only board only while it is in the top.
            top_n=rank_board.top_n if rank_board and rank_board.top_only and not owner else 0,
            show_cost=show_cost,
        ),
        chart_period=chart_period,
        ledger=standing_ledger(person) if owner else [],
        flags=own_flags(person) if owner else [],
    )


def own_flags(person: Person) -> list[Flag]:
    """A person's gaming flags, newest day first (for their own page only)."""
    return list(person.flags.select_related("rule").order_by("-day", "pk"))


def own_flag(public_id: str, flag_id: int, *, reader: User) -> tuple[Person, Flag]:
    """The reader's own person and one of their flags; anyone else's is NotFound."""
    person = own_person(public_id, reader=reader)
    flag = person.flags.filter(pk=flag_id).first()
    if flag is None:
        raise NotFound("No such flag.")
    return person, flag


class PersonHistory:
    """A person's totals and charts, read only when the template renders them: the template
    caches the rendered section per person, period, stacking, rank board and usage version
    (which moves with any change to usage, accounts, people or boards' sources)."""

    def __init__(
        self,
        person: Person,
        period: Period,
        chart_period: Period,
        by: str,
        rank_board: Board | None,
        today: dt.date,
        version: int,
        top_n: int = 0,
        *,
        show_cost: bool,
    ) -> None:
        """top_n: the rank chart leaves out ranks past it (0: none left out); show_cost: the
        reader may see cost (without, the totals and charts have none)."""
        self.person, self.period, self.chart_period, self.by = person, period, chart_period, by
        self.rank_board, self.today, self.version = rank_board, today, version
        self.top_n, self.show_cost = top_n, show_cost

    @property
    def cache_key(self) -> str:
        board = ""
        if self.rank_board:  # what the rank chart shows of it: its name and what it ranks
            b = self.rank_board
            scope = board_scope(b, lens=b.metric, period=period_of(b.period, self.today))
            board = f"{b.pk}:{scope_key(scope)}:{b.name}"
        return (
            f"{self.person.pk}:{self.period.start}:{self.period.end}:{self.chart_period.start}:"
            f"{self.by}:{self.today}:{self.version}:{board}:{self.top_n}:{self.show_cost}"
        )

    @cached_property
    def totals(self) -> history.Totals:
        totals = history.totals(people=[self.person.pk], period=self.period)
        if not self.show_cost:
            totals["cost"] = None
        return totals

    @cached_property
    def charts(self) -> dict[str, dict[str, JSON] | None]:
        days = history.daily(people=[self.person.pk], period=self.chart_period, by=self.by)
        board = self.rank_board
        return {
            "tokens": charts.tokens_by_day(days),
            "cost": charts.cost_by_day(days) if self.show_cost else None,
            "cache": charts.cache_share_by_day(days),
            "rank": charts.rank_over_time(
                history.rank_history(
                    person=self.person, board=board, today=self.today, top_n=self.top_n
                ),
                period=board.period,
            )
            if board
            else None,
        }


@dataclass(frozen=True)
class TeamPage:
    team: Team
    kind: str
    periods: list[str]
    period: Period
    rows: list[Row]
    size: int
    big_enough: bool
    min_size: int
    totals: history.Totals | None
    chart: dict[str, JSON] | None
    chart_period: Period


def team_page(team_id: int, *, kind: str, show_cost: bool, today: dt.date) -> TeamPage:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound("No such team.")
    if not boards_visible():
        raise BoardsHidden
    kind, period, chart_period = history_periods(kind, today)
    # Pseudonymous and hidden members are in none of it (not the rows, the count or the
    # aggregates): see history.team_members.
    ranking = Ranking(Scope(lens=Board.Lens.TOTAL_TOKENS, period=period, teams=(team.pk,)))
    members = history.team_members(team).values_list("pk", flat=True)
    size = members.count()
    # No team aggregate for a team so small that it would reveal individuals.
    big_enough = size >= settings.TEAM_MIN_SIZE
    return TeamPage(
        team=team,
        kind=kind,
        periods=HISTORY_PERIODS,
        period=period,
        rows=ranking.page(limit=500),
        size=size,
        big_enough=big_enough,
        min_size=settings.TEAM_MIN_SIZE,
        totals=_without_cost(history.totals(people=members, period=period), show_cost)
        if big_enough
        else None,
        chart=charts.tokens_by_day(history.daily(people=members, period=chart_period))
        if big_enough
        else None,
        chart_period=chart_period,
    )


def _without_cost(totals: history.Totals, show_cost: bool) -> history.Totals:
    if not show_cost:
        totals["cost"] = None
    return totals


def demo_people() -> QuerySet[Person]:
    """Everyone the demo's sign-in page offers, by team and name."""
    return Person.objects.select_related("team", "user").order_by("team__name", "display_name")
