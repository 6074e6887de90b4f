"""Rankings that pages read: each scope is ranked once per usage version and stored as places.

`standings.ranking_sql` ranks everyone in a scope in one SQL query (over usage months when
the scope is whole months, over facts otherwise). Running it per request would aggregate
months of usage for every page view, so the first reader of a scope at the current usage
version (or the `rank_boards` task, after each ingest) stores its result as `Place` rows;
every later page, search and "where am I" reads those rows through an index. Database
triggers bump the usage version whenever facts, accounts, people, teams or sources change,
so a stored ranking is never read once stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Board, Place, RankedScope, UsageVersion, analyze, version_number
from .standings import Lens, Scope, period_of, ranking_sql, scope_end

COST_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Row:
    rank: int
    person_id: int
    name: str
    team_id: int | None
    team: str
    user_id: int | None
    value: Any
    total_tokens: int
    cost: Decimal | None
    cost_estimated: bool
    position: int = 0  # 1-based place in the whole ranking (ties broken by name)
    public_id: str = ""  # the person's, for their URL


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


def _insert_places(ranked_scope: RankedScope, scope: Scope) -> int:
    """Run the ranking query once, straight into place rows; return how many."""
    sql, params = ranking_sql(scope)
    columns = (
        "scope_id, position, rank, person_id, public_id, name, team_id,"
        " team, user_id, value, total_tokens, cost, cost_estimated"
    )
    select = (
        "SELECT %s, ROW_NUMBER() OVER (ORDER BY r.rank, r.shown_name, r.id), r.rank, r.id,"
        " r.public_id, r.shown_name, r.shown_team_id, COALESCE(r.shown_team, ''), r.user_id,"
        " r.value, r.total_tokens, r.cost, COALESCE(r.cost_estimated, 0) = 1"
    )
    # Table and inner query are compiled by Django.
    insert = f"INSERT INTO {Place._meta.db_table} ({columns}) {select} FROM ({sql}) r"
    with connection.cursor() as cursor:
        cursor.execute(insert, [ranked_scope.pk, *params])
        return cursor.rowcount


ANALYZE_FROM = 1_000  # places


def analyze_places() -> None:
    """Refresh the planner's statistics of the places. Until then a scope ranked since the
    last ANALYZE looks nearly empty to it, and "where am I" may filter the whole scope
    through the (scope, position) index instead of seeking (scope, person)."""
    analyze(Place)


def stored(
    scope: Scope, *, analyze: bool = True, version: int | None = None, reader: int | None = None
) -> RankedScope:
    """The scope's ranking at the usage version (the current one if not given), computed
    now if nobody has yet (analyze=False leaves the statistics of a large one to the
    caller). With a reader (a person's pk), a stored ranking is read together with that
    person's place, as `reader_places` ({} if they are not ranked): every page asks both."""
    version = current_version() if version is None else version
    key = scope_key(scope)
    found = _lookup(key, version, reader)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            ranked_scope = RankedScope.objects.create(
                key=key, version=version, computed_at=timezone.now()
            )
            ranked_scope.size = _insert_places(ranked_scope, scope)
            ranked_scope.save(update_fields=["size"])
    except IntegrityError:  # another process ranked it first: read theirs
        return RankedScope.objects.get(key=key, version=version)
    if analyze and ranked_scope.size >= ANALYZE_FROM:
        analyze_places()
    return ranked_scope


def _lookup(key: str, version: int, reader: int | None) -> RankedScope | None:
    """The stored ranking, with the reader's place in it, in one plain query: every page
    makes this lookup, and compiling it in the ORM cost more than running it."""
    found = next(
        iter(
            Place.objects.raw(
                f"SELECT p.*, s.id AS ranked_id, s.size AS ranked_size "  # noqa: S608
                f"FROM {RankedScope._meta.db_table} s LEFT JOIN {Place._meta.db_table} p "
                "ON p.scope_id = s.id AND p.person_id = %s WHERE s.key = %s AND s.version = %s",
                [reader, key, version],
            )
        ),
        None,
    )
    if found is None:
        return None
    ranked_scope = RankedScope.from_db(
        connection.alias,
        ["id", "key", "version", "size"],
        [found.ranked_id, key, version, found.ranked_size],
    )
    if reader is not None:
        ranked_scope.reader_places = {reader: found} if found.pk is not None else {}
    return ranked_scope


def row_of(place: Place, lens: str) -> Row:
    value: Any = place.value
    if value is not None:
        if lens == Lens.CACHE_READ_SHARE:
            value = float(value)
        elif lens == Lens.COST:
            value = value.quantize(COST_PLACES)
        else:
            value = int(value)
    return Row(
        place.rank,
        place.person_id,
        place.name,
        place.team_id,
        place.team,
        place.user_id,
        value,
        int(place.total_tokens),
        place.cost,
        place.cost_estimated,
        place.position,
        place.public_id,
    )


class Ranking:
    """A scope's ranking, read a page or a person at a time."""

    def __init__(
        self, scope: Scope, *, version: int | None = None, reader: int | None = None
    ) -> None:
        """version: the usage version the caller has read already (else read on use);
        reader: the person reading, whose place is read with the stored ranking."""
        self.scope, self.version, self.reader = scope, version, reader
        self._stored: RankedScope | None = None

    @property
    def ranked_scope(self) -> RankedScope:
        if self._stored is None:
            self._stored = stored(self.scope, version=self.version, reader=self.reader)
        return self._stored

    def _places(self, search: str = "") -> QuerySet[Place]:
        places = Place.objects.filter(scope=self.ranked_scope)
        return places.filter(name__icontains=search) if search else places

    def _rows(self, places: Iterable[Place]) -> list[Row]:
        return [self._row(place) for place in places]

    def _row(self, place: Place) -> Row:
        return row_of(place, self.scope.lens)

    def count(self, search: str = "") -> int:
        return self._places(search).count() if search else self.ranked_scope.size

    def page(self, *, offset: int = 0, limit: int = 50, search: str = "") -> list[Row]:
        return self._rows(self._places(search).order_by("position")[offset : offset + limit])

    def positions(self, person_ids: Iterable[int]) -> dict[int, Row]:
        ids = list(person_ids)
        if not ids:
            return {}
        read = getattr(self.ranked_scope, "reader_places", None)
        if read is not None and set(ids) == {self.reader}:  # read with the stored ranking
            places: Iterable[Place] = read.values()
        else:
            # Raw, like the stored ranking's lookup.
            places = Place.objects.raw(
                f"SELECT * FROM {Place._meta.db_table} WHERE scope_id = %s "  # noqa: S608
                f"AND person_id IN ({', '.join(['%s'] * len(ids))})",
                [self.ranked_scope.pk, *ids],
            )
        return {p.person_id: self._row(p) for p in places}


def places_of(person_id: int, scopes: list[Scope]) -> list[Row | None]:
    """A person's row in each of many scopes (None where not ranked), in three queries when
    the rankings are stored already."""
    version = current_version()
    keys = [scope_key(scope) for scope in scopes]
    found = {r.key: r for r in RankedScope.objects.filter(key__in=set(keys), version=version)}
    by_scope = [found.get(key) or stored(scope) for key, scope in zip(keys, scopes, strict=True)]
    places = {
        p.scope_id: p
        for p in Place.objects.filter(scope__in=[r.pk for r in by_scope], person_id=person_id)
    }
    return [
        row_of(places[r.pk], scope.lens) if r.pk in places else None
        for scope, r in zip(scopes, by_scope, strict=True)
    ]


RANK_CHART_PERIODS = 12  # the person page charts a board's rank over this many periods


def board_scopes(board: Board, today: dt.date) -> list[Scope]:
    """The scopes a board's pages open first: each lens for this period and the one before,
    and the period before that (their change arrows), and the board's own lens for the
    periods of the rank chart."""
    as_of = board.paused_at.date() if board.paused_at else None
    today = as_of or today

    def scope(lens: str, back: int) -> Scope:
        period = period_of(board.period, today, back)
        return Scope.of_board(board, lens=lens, period=period, as_of=as_of)

    if board.period == Board.Period.ALL_TIME:
        return [scope(lens, 0) for lens in Board.Lens.values]
    scopes = [scope(lens, back) for back in (0, 1, 2) for lens in Board.Lens.values]
    return scopes + [scope(board.metric, back) for back in range(3, RANK_CHART_PERIODS)]


def rank_boards(*, today: dt.date | None = None) -> int:
    """Store the scopes every live board's pages open first, and drop rankings of older
    versions. Returns how many scopes were ranked now rather than found stored."""
    today = today or timezone.now().date()
    version = current_version()
    RankedScope.objects.filter(version__lt=version).delete()
    done = set(RankedScope.objects.filter(version=version).values_list("key", flat=True))
    computed = 0
    try:
        for board in Board.objects.exclude(status=Board.Status.RETIRED).prefetch_related(
            "teams", "sources"
        ):
            for scope in board_scopes(board, today):
                if scope_key(scope) in done:
                    continue
                if current_version() != version:
                    return computed  # usage moved on: the run queued by that change takes over
                done.add(stored(scope, analyze=False).key)
                computed += 1
    finally:
        if computed:
            analyze_places()  # once for all of them
    return computed
