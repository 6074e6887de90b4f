"""The stored-ranking fill (a write): each scope is ranked once per usage version and stored
as places, by the first reader of a scope at the current version or by `rank_boards` after
each ingest. Also which scopes a board opens, as the fill and the pages need them.

`leaderboard.db.rankings.ranking_sql` ranks everyone in a scope in one SQL query (over usage
months when the scope is whole months, over facts otherwise). Running it per request would
aggregate months of usage for every page view; every later page, search and "where am I"
reads the stored places through an index (`leaderboard.selectors.rankings`).

Versions per day (issue 23). A stored ranking is keyed by its scope and the usage version of
the days it counts (first_day..last_day: its period, cut at a paused board's pause), so a pull
that changed only today leaves last month's and last year's rankings, and the pages cached by
them, valid. Database triggers take every version from one counter (UsageVersion.number): a
statement that changed facts notes the new number against each day it touched (UsageDay); a
statement on accounts, people, teams or sources, which can move usage of any day (an account
given to someone else, a hidden person, an excluded source), sets UsageVersion.everything to
it. A scope's version is the greater of `everything` and the largest number of its days, read
in the same query as its stored ranking; a ranking stored at a lower one is stale, is never
read, and `rank_boards` drops it. All-time scopes count every day, so any change to usage moves
them; a month, week or day that does not contain a changed day keeps its version. (SQLite keeps
one version for everything: there every scope's version is the counter's number.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from leaderboard.db import rankings as ranking_sql
from leaderboard.db import routers
from leaderboard.db.counters import analyze, version_number
from leaderboard.domain import capabilities
from leaderboard.domain.periods import RANK_CHART_PERIODS, Lens, Period, Scope, period_of, scope_end
from leaderboard.models import Board, Place, RankedScope, Source, Team, UsageVersion


@dataclass(frozen=True)
class Stored:
    """A scope's stored ranking, and the reader's place in it when a reader was given
    (read in the same query: every page asks both). None: the reader is not ranked.
    ranked_now: this call ranked the scope (nobody had at its version)."""

    ranked_scope: RankedScope
    reader: int | None = None
    reader_place: Place | None = None
    ranked_now: bool = False


def board_scope(
    board: Board,
    *,
    lens: str,
    period: Period,
    team: Team | None = None,
    as_of: dt.date | None = None,
    every_source: Sequence[Source] | None = None,
) -> Scope:
    """The scope a board ranks in a lens and period (optionally one of its teams).
    every_source: every source, where the caller holds them already (else read if needed)."""
    teams = tuple(t.pk for t in board.teams.all())
    if team is not None:
        teams = (team.pk,) if not teams or team.pk in teams else (-1,)
    sources = tuple(s.pk for s in board.sources.all())
    if lens == Lens.REQUESTS:
        sources = requests_sources(board, every_source)
    return Scope(
        lens=lens,
        period=period,
        teams=teams,
        sources=sources,
        min_activity=board.min_activity,
        ratio_min_volume=board.ratio_min_volume if lens == Lens.CACHE_READ_SHARE else 0,
        as_of=as_of,
    )


def requests_sources(board: Board, every_source: Sequence[Source] | None = None) -> tuple[int, ...]:
    """The sources a board ranks requests over: its own (none: all) less those that cannot
    report requests, whose usage would otherwise rank as 0 requests (-1: none is left)."""
    chosen = list(board.sources.all())
    pool = chosen or list(Source.objects.all() if every_source is None else every_source)
    if not capabilities.without_requests(pool):
        return tuple(s.pk for s in chosen)
    return tuple(sorted(s.pk for s in pool if capabilities.reports_requests(s))) or (-1,)


def current_version() -> int:
    return version_number(UsageVersion)


def scope_key(scope: Scope) -> str:
    parts = [
        scope.lens,
        scope.period.start.isoformat(),
        scope_end(scope).isoformat(),
        ",".join(map(str, sorted(scope.teams))),
        ",".join(map(str, sorted(scope.sources))),
        str(scope.min_activity),
        str(scope.ratio_min_volume),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


ANALYZE_FROM = 1_000  # places


def analyze_places() -> None:
    """Refresh the planner's statistics of the places. Until then a scope ranked since the
    last ANALYZE looks nearly empty to it, and "where am I" may filter the whole scope
    through the (scope, position) index instead of seeking (scope, person)."""
    analyze(Place)


def stored(scope: Scope, *, analyze: bool = True, reader: int | None = None) -> Stored:
    """The scope's ranking at its days' usage version, computed now if nobody has yet
    (analyze=False leaves the statistics of a large one to the caller). With a reader (a
    person's pk), their place is read with a stored ranking."""
    key, first_day, last_day = scope_key(scope), scope.period.start, scope_end(scope)
    version, found = ranking_sql.lookup(key, first_day, last_day, reader)
    if found is None and routers.read_replica():
        # This request read the replica, which has no ranking of the scope at its version
        # (not replayed yet, or nobody ranked it), and the version may be the replica's,
        # behind the primary's facts. Rank nothing on a copy that cannot take the write, nor
        # under a version whose facts are not the ones ranked: the rest of the request reads
        # the primary, and its own version of the scope's days labels what it finds or stores.
        routers.use_primary()
        version, found = ranking_sql.lookup(key, first_day, last_day, reader)
    if found is not None:
        ranked_scope, place = found
        return Stored(ranked_scope, reader, place)
    try:
        with transaction.atomic():
            ranked_scope = RankedScope.objects.create(
                key=key,
                version=version,
                first_day=first_day,
                last_day=last_day,
                computed_at=timezone.now(),
            )
            ranked_scope.size = ranking_sql.insert_places(ranked_scope.pk, scope)
            ranked_scope.save(update_fields=["size"])
    except IntegrityError:  # another process ranked it first: read theirs
        return Stored(RankedScope.objects.get(key=key, version=version))
    if analyze and ranked_scope.size >= ANALYZE_FROM:
        analyze_places()
    return Stored(ranked_scope, ranked_now=True)


def board_scopes(board: Board, today: dt.date) -> list[Scope]:
    """The scopes a board's pages open first: each lens for this period and the one before,
    and the period before that (their change arrows), and the board's own lens for the
    periods of the rank chart."""
    as_of = board.paused_at.date() if board.paused_at else None
    today = as_of or today

    def scope(lens: str, back: int) -> Scope:
        period = period_of(board.period, today, back)
        return board_scope(board, lens=lens, period=period, as_of=as_of)

    if board.period == Board.Period.ALL_TIME:
        return [scope(lens, 0) for lens in Board.Lens.values]
    scopes = [scope(lens, back) for back in (0, 1, 2) for lens in Board.Lens.values]
    return scopes + [scope(board.metric, back) for back in range(3, RANK_CHART_PERIODS)]


def rank_boards(*, today: dt.date | None = None) -> int:
    """Store the scopes every live board's pages open first, and drop stored rankings whose
    days' usage version has moved on. Returns how many scopes were ranked now rather than
    found stored."""
    today = today or timezone.now().date()
    version = current_version()
    RankedScope.objects.filter(pk__in=ranking_sql.stale_ranked_scopes()).delete()
    computed = 0
    try:
        for board in Board.objects.exclude(status=Board.Status.RETIRED).prefetch_related(
            "teams", "sources"
        ):
            for scope in board_scopes(board, today):
                if current_version() != version:
                    return computed  # usage moved on: the run queued by that change takes over
                if stored(scope, analyze=False).ranked_now:
                    computed += 1
    finally:
        if computed:
            analyze_places()  # once for all of them
    return computed
