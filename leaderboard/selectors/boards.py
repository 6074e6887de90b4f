"""The boards pages: the index of boards, a board's standings (a page of rows, the reader's
place, the rank changes and sparklines, read lazily), and a retired board's archive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.functional import cached_property

from leaderboard.domain import capabilities
from leaderboard.domain.periods import (
    TREND_DAYS,
    Period,
    YoungPeriod,
    default_back,
    period_of,
    scope_end,
    unit_of,
    young_period,
)
from leaderboard.domain.rows import Row, SnapshotRow, band
from leaderboard.models import Board, BoardSnapshot, Person, Source, Team
from leaderboard.selectors.history import daily_totals
from leaderboard.selectors.rankings import Ranking
from leaderboard.selectors.site import Site, all_boards, all_sources, all_teams, site
from leaderboard.services.rankings import board_scope


class ArchiveRow(TypedDict):
    """A snapshot row as the archive shows it today."""

    rank: int
    name: str
    team: str
    value: str | None


def archive_rows(snapshot: BoardSnapshot, *, top_n: int = 0) -> list[ArchiveRow]:
    """A snapshot's rows as its archive shows them today: under each person's choice of now
    (the hidden, the excluded from ranking and the deleted left out, a pseudonym with no
    team), ranked again among those left so that no gap marks where someone was; only ranks
    1..top_n if given."""
    rows: list[SnapshotRow] = snapshot.rows
    people = Person.objects.filter(pk__in=[r["person_id"] for r in rows]).only(
        "visibility", "display_name", "pseudonym", "excluded_from_ranking"
    )
    by_pk = {p.pk: p for p in people}
    shown: list[ArchiveRow] = []
    was = None
    for row in rows:
        person = by_pk.get(row["person_id"])
        if (
            person is None
            or person.visibility == Person.Visibility.HIDDEN
            or person.excluded_from_ranking
        ):
            continue
        named = person.visibility == Person.Visibility.NAME
        # Ties keep sharing a rank; otherwise the rank is the place among those shown.
        rank = shown[-1]["rank"] if shown and row["rank"] == was else len(shown) + 1
        was = row["rank"]
        if top_n and rank > top_n:
            break
        shown.append(
            {
                "rank": rank,
                "name": person.display_name if named else person.pseudonym,
                "team": row["team"] if named else "",
                "value": row["value"],
            }
        )
    return shown


def requests_left_out(board: Board, every_source: list[Source]) -> list[Source]:
    """The counted sources of a board (none chosen: all) that cannot report requests, which
    its requests lens leaves out."""
    chosen = list(board.sources.all()) or every_source
    return capabilities.without_requests(s for s in chosen if s.counts_toward_totals)


# The lenses that read token counts.
TOKEN_LENSES = {
    Board.Lens.SCORE,
    Board.Lens.TOTAL_TOKENS,
    Board.Lens.OUTPUT,
    Board.Lens.CACHE_READ_SHARE,
}


def tokens_missing(board: Board, every_source: list[Source]) -> list[tuple[Source, str]]:
    """The counted sources of a board (none chosen: all) with usage that has no token counts
    (and which usage), which its token lenses cannot weigh: n/a, not 0."""
    chosen = list(board.sources.all()) or every_source
    return capabilities.with_tokens_missing(s for s in chosen if s.counts_toward_totals)


class NotFound(Exception):
    """What a URL names does not exist, or is not shown to this reader (the message says which
    to the reader, the same either way where telling would leak)."""


class BoardsHidden(Exception):
    """A manager has hidden every board (the site-wide switch)."""


PAGE_SIZE = 50


@dataclass(frozen=True)
class BoardCard:
    board: Board
    period: Period
    top: list[Row]
    mine: Row | None
    count: int
    unit: str
    young: YoungPeriod | None  # the current period while too young: period is the last one


@dataclass(frozen=True)
class BoardsPage:
    """The boards index: a card for every live board, then the archived ones."""

    cards: list[BoardCard]
    archived: list[Board]


def shown_boards(boards: list[Board], *, show_cost: bool) -> list[Board]:
    """The boards a reader may see: one ranked by cost only if they may see cost (a rank in
    spending is a cost figure)."""
    return boards if show_cost else [b for b in boards if b.metric != Board.Lens.COST]


def boards_page(*, reader: Person | None, show_cost: bool, today: dt.date) -> BoardsPage:
    state = site()
    if not state.boards_visible:
        raise BoardsHidden
    every = shown_boards(all_boards(state.boards_version), show_cost=show_cost)
    cards = []
    for board in [b for b in every if b.status != Board.Status.RETIRED]:
        as_of = board.paused_at.date() if board.paused_at else None
        day = as_of or today
        young = young_period(board.period, day)
        period = period_of(board.period, day, default_back(board.period, day))
        ranking = Ranking(
            board_scope(board, lens=board.metric, period=period, as_of=as_of),
            reader=reader.pk if reader else None,
        )
        mine = ranking.positions([reader.pk]).get(reader.pk) if reader else None
        count = ranking.count() if mine else 0
        top = ranking.top(board.top_n, limit=3) if board.top_only else ranking.page(limit=3)
        cards.append(BoardCard(board, period, top, mine, count, unit_of(board.metric), young))
    archived = [
        b
        for b in every
        if b.status == Board.Status.RETIRED and b.retired_view == Board.RetiredView.ARCHIVE
    ]
    return BoardsPage(cards, archived)


@dataclass(frozen=True)
class BoardQuery:
    """What a visitor asked of a board page (already bounded by the view)."""

    lens: str = ""
    back: int | None = None  # None: the board's default (see default_back)
    team: str = ""
    search: str = ""
    page: str | None = None


@dataclass(frozen=True)
class ArchivePage:
    """A retired board shown as its archive."""

    board: Board
    snapshot: BoardSnapshot
    rows: list[ArchiveRow]
    unit: str


@dataclass(frozen=True)
class Neighbour:
    """A row of the reader's neighbourhood on a top-only board: the reader's own shows its
    rank, the others only their band."""

    row: Row
    band: str  # "" on the reader's own row
    mine: bool

    @property
    def person_id(self) -> int:
        return self.row.person_id


@dataclass(frozen=True)
class BoardPage:
    """A live or paused board's standings, as its template reads them."""

    site: Site
    board: Board
    lens: str
    lens_label: str
    lenses: list[tuple[str, str]]
    unit: str
    period: Period
    back: int
    young: YoungPeriod | None  # the current period, while too young to open on
    team: Team | None
    teams: TeamChoices
    unknown_team: str
    q: str
    page: Page[int]
    total: int
    table: StandingsTable
    mine: Row | None
    mine_on_page: bool
    everyone: int  # how many are ranked, filters aside (the reader's "51st of 59")
    neighbourhood: Neighbourhood | None  # on a top-only board, for a reader past the top
    ratio_lens: bool
    requests_left_out: list[Source]
    tokens_missing: list[tuple[Source, str]]


def board_page(
    slug: str, query: BoardQuery, *, reader: Person | None, show_cost: bool, today: dt.date
) -> BoardPage | ArchivePage:
    state = site()
    every = shown_boards(all_boards(state.boards_version), show_cost=show_cost)
    board = next((b for b in every if b.slug == slug), None)
    if board is None:
        raise NotFound("No such board.")
    if not state.boards_visible:
        raise BoardsHidden
    if board.status == Board.Status.RETIRED:
        return _archive_page(board)
    lenses = [(v, label) for v, label in Board.Lens.choices if show_cost or v != Board.Lens.COST]
    lens = query.lens if query.lens in dict(lenses) else board.metric  # else: the board's own
    as_of = board.paused_at.date() if board.paused_at else None
    today = as_of or today
    back = default_back(board.period, today) if query.back is None else query.back
    period = period_of(board.period, today, back)
    team = _team_called(query.team) if query.team else None
    every_source = all_sources(state.boards_version)
    scope = board_scope(
        board, lens=lens, period=period, team=team, as_of=as_of, every_source=every_source
    )
    ranking = Ranking(scope, reader=reader.pk if reader else None)
    top_n = board.top_n if board.top_only else 0
    if top_n:
        # One page, the top: no page and no search reaches the tail.
        search = query.search
        total = ranking.top_count(top_n, PAGE_SIZE, search) if search else ranking.count()
        page = Paginator(range(min(total, PAGE_SIZE)), PAGE_SIZE).get_page(1)
    else:
        total = ranking.count(query.search)
        page = Paginator(range(total), PAGE_SIZE).get_page(query.page)
    mine = ranking.positions([reader.pk]).get(reader.pk) if reader else None
    # Counting everyone is one more ranking of everyone: reuse the total when nothing filters.
    everyone = (total if not query.search else ranking.count()) if mine else 0
    previous = None
    if board.period != Board.Period.ALL_TIME:
        before = period_of(board.period, today, back + 1)
        previous = Ranking(
            board_scope(
                board, lens=lens, period=before, team=team, as_of=as_of, every_source=every_source
            ),
        )
    near = None
    if top_n and mine and mine.rank > top_n and not query.search:
        near = Neighbourhood(ranking, mine, top_n, board.neighbours, everyone)
    return BoardPage(
        site=state,
        board=board,
        lens=lens,
        lens_label=dict(lenses)[lens],
        lenses=lenses,
        unit=unit_of(lens),
        period=period,
        back=back,
        young=young_period(board.period, today),
        team=team,
        teams=TeamChoices(board, state.boards_version),
        unknown_team=query.team if query.team and team is None else "",
        q=query.search,
        page=page,
        total=total,
        table=StandingsTable(ranking, previous, page, query.search, top_n),
        mine=mine,
        mine_on_page=mine is not None
        and not query.search
        and (
            # On a top-only board your row is in the top or your neighbourhood (unless ties
            # at the top run past one page).
            mine.rank > top_n or mine.position <= PAGE_SIZE
            if top_n
            else page.start_index() <= mine.position <= page.end_index()
        ),
        everyone=everyone,
        neighbourhood=near,
        ratio_lens=lens == Board.Lens.CACHE_READ_SHARE,
        requests_left_out=requests_left_out(board, every_source)
        if lens == Board.Lens.REQUESTS
        else [],
        tokens_missing=tokens_missing(board, every_source) if lens in TOKEN_LENSES else [],
    )


class Neighbourhood:
    """The reader's place past the top with a few places either side (none of the top's),
    read only when the template renders it: the template caches it per stored ranking and
    position (a position in a stored ranking is always the same person), so a reader's
    repeated views never read it again."""

    def __init__(self, ranking: Ranking, mine: Row, top_n: int, around: int, everyone: int):
        self.ranking, self.mine, self.top_n = ranking, mine, top_n
        self.around, self.everyone = around, everyone

    @property
    def cache_key(self) -> str:
        ranked = self.ranking.ranked_scope
        return (
            f"{ranked.pk}:{ranked.version}:{self.mine.position}:{self.top_n}:{self.around}"
            f":{self.everyone}"
        )

    @cached_property
    def _read(self) -> tuple[list[Neighbour], bool]:
        mine, top_n = self.mine, self.top_n
        first = max(mine.position - self.around, 1)
        # One place more above: if it is in the top, nothing lies hidden in between.
        rows = self.ranking.between(max(first - 1, 1), mine.position + self.around)
        gap = not any(r.rank <= top_n for r in rows)
        near = [
            Neighbour(
                r,
                "" if r.person_id == mine.person_id else band(r.rank, self.everyone),
                r.person_id == mine.person_id,
            )
            for r in rows
            if r.rank > top_n and r.position >= first
        ]
        return near, gap

    @property
    def rows(self) -> list[Neighbour]:
        return self._read[0]

    @property
    def gap(self) -> bool:
        """Whether places lie hidden between the top and the neighbourhood."""
        return self._read[1]


def _archive_page(board: Board) -> ArchivePage:
    if board.retired_view == Board.RetiredView.HIDDEN:
        raise NotFound("This board is retired.")
    snapshot = BoardSnapshot.objects.filter(board=board).latest()
    rows = archive_rows(snapshot, top_n=board.top_n if board.top_only else 0)
    return ArchivePage(board, snapshot, rows, unit_of(snapshot.lens))


class StandingsTable:
    """A page of standings rows, read only when the template renders them: the template
    caches the rendered rows per stored ranking, page and badge version, so most requests
    never read them."""

    trend_days = TREND_DAYS

    def __init__(
        self,
        ranking: Ranking,
        previous: Ranking | None,
        page: Page[int],
        search: str,
        top_n: int = 0,
    ) -> None:
        """top_n: on a top-only board, the rows are ranks 1..top_n (else a page of everyone)."""
        self.ranking, self.previous, self.page, self.search = ranking, previous, page, search
        self.top_n = top_n

    @property
    def cache_key(self) -> str:
        # A stored ranking is one scope at one usage version: its rows never change.
        ranked = self.ranking.ranked_scope
        return f"{ranked.pk}:{ranked.version}:{self.page.number}:{self.search}:{self.top_n}"

    @cached_property
    def rows(self) -> list[Row]:
        if self.top_n:
            return self.ranking.top(self.top_n, limit=PAGE_SIZE, search=self.search)
        offset = self.page.start_index() - 1 if self.page.paginator.count else 0
        return self.ranking.page(offset=offset, limit=PAGE_SIZE, search=self.search)

    @cached_property
    def changes(self) -> dict[int, tuple[str, str, str]]:
        if self.previous is None:
            return {}
        before = self.previous.positions([r.person_id for r in self.rows])
        return rank_changes(self.rows, before, top_n=self.top_n)

    @cached_property
    def sparklines(self) -> dict[int, list[int]]:
        scope = self.ranking.scope
        end = min(scope_end(scope), timezone.now().date())  # a current period ends today
        return daily_totals([r.person_id for r in self.rows], end, sources=scope.sources)


def rank_changes(
    rows: list[Row], previous: dict[int, Row], *, top_n: int = 0
) -> dict[int, tuple[str, str, str]]:
    """Rank movement against the previous period: (class, text, description). With top_n
    (a top-only board), a previous place past the top is not told."""
    changes = {}
    for row in rows:
        before = previous.get(row.person_id)
        if before is None:
            changes[row.person_id] = ("new", "new", "not ranked in the previous period")
        elif top_n and before.rank > top_n:
            changes[row.person_id] = ("up", "▲", f"up from outside the top {top_n}")
        elif before.rank > row.rank:
            changes[row.person_id] = ("up", f"▲ {before.rank - row.rank}", f"up from {before.rank}")
        elif before.rank < row.rank:
            changes[row.person_id] = (
                "down",
                f"▼ {row.rank - before.rank}",
                f"down from {before.rank}",
            )
        else:
            changes[row.person_id] = ("same", "=", "same rank as the previous period")
    return changes


def _team_called(wanted: str) -> Team | None:
    """The team a filter names: by name (any case), or by pk as the team pages link it."""
    team = Team.objects.filter(name__iexact=wanted).first()
    if team is None and wanted.isdigit():
        team = Team.objects.filter(pk=int(wanted)).first()
    return team


class TeamChoices:
    """The teams a board's filter offers: its own, or every team. A few are a <select>;
    thousands (a large company) are a search box whose suggestions load when it is
    first focused, so no page carries every team's name."""

    SELECT_MAX = 30

    def __init__(self, board: Board, version: int | None) -> None:
        self.board, self.version = board, version

    @cached_property
    def all(self) -> list[tuple[int, str]]:
        chosen = [(t.pk, t.name) for t in self.board.teams.all()]  # prefetched
        return sorted(chosen, key=lambda t: t[1]) or all_teams(self.version)

    @property
    def searchable(self) -> bool:
        return len(self.all) > self.SELECT_MAX


def team_names() -> list[tuple[int, str]]:
    """Every team's pk and name, for the team search box's suggestions."""
    return all_teams(site().boards_version)
