"""Rankings that pages read: a scope's stored places, a page or a person at a time (stored
on first read by `leaderboard.services.rankings`, the fill)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from leaderboard.db import counters
from leaderboard.db import rankings as ranking_sql
from leaderboard.db.routers import read_replica, use_primary
from leaderboard.domain.periods import Scope, scope_end
from leaderboard.domain.rows import Row, row_of
from leaderboard.models import Place, RankedScope
from leaderboard.services.rankings import Stored, scope_key, stored


class Ranking:
    """A scope's ranking, read a page or a person at a time."""

    def __init__(self, scope: Scope, *, reader: int | None = None) -> None:
        """reader: the person reading, whose place is read with the stored ranking (in the
        same query, which also reads the usage version of the scope's days)."""
        self.scope, self.reader = scope, reader
        self._found: Stored | None = None

    @property
    def found(self) -> Stored:
        if self._found is None:
            self._found = stored(self.scope, reader=self.reader)
        return self._found

    @property
    def ranked_scope(self) -> RankedScope:
        return self.found.ranked_scope

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

    def top(self, n: int, *, limit: int = 50, search: str = "") -> list[Row]:
        """Ranks 1..n (everyone tied at n too), at most limit rows: a top-only board's head.
        A rank is never past its position, so the head lies within the first limit places."""
        places = self._places(search).filter(rank__lte=n, position__lte=limit)
        return self._rows(places.order_by("position"))

    def top_count(self, n: int, limit: int = 50, search: str = "") -> int:
        """How many rows top() reads."""
        return self._places(search).filter(rank__lte=n, position__lte=limit).count()

    def between(self, first: int, last: int) -> list[Row]:
        """The rows at positions first..last."""
        places = self._places().filter(position__gte=first, position__lte=last)
        return self._rows(places.order_by("position"))

    def positions(self, person_ids: Iterable[int]) -> dict[int, Row]:
        ids = list(person_ids)
        if not ids:
            return {}
        found = self.found
        if found.reader is not None and set(ids) == {found.reader}:  # read with the ranking
            places: Iterable[Place] = [found.reader_place] if found.reader_place else []
        else:
            places = ranking_sql.places_of_people(found.ranked_scope.pk, ids)
        return {p.person_id: self._row(p) for p in places}


def places_of(person_id: int, scopes: list[Scope]) -> list[Row | None]:
    """A person's row in each of many scopes (None where not ranked), in three queries when
    the rankings are stored already."""
    keys = [scope_key(scope) for scope in scopes]
    spans = [(s.period.start, scope_end(s)) for s in scopes]
    versions = counters.span_versions(spans)
    found = {
        (r.key, r.version): r
        for r in RankedScope.objects.filter(key__in=set(keys), version__in=set(versions))
    }
    if len(found) < len(set(zip(keys, versions, strict=True))) and read_replica():
        # The replica lacks some: all of them from the primary, at its versions, so the
        # places below are read where their rankings are.
        use_primary()
        versions = counters.span_versions(spans)
        found = {
            (r.key, r.version): r
            for r in RankedScope.objects.filter(key__in=set(keys), version__in=set(versions))
        }
    by_scope = [
        found.get((key, version)) or stored(scope).ranked_scope
        for key, version, scope in zip(keys, versions, scopes, strict=True)
    ]
    places = {
        p.scope_id: p
        for p in Place.objects.filter(scope__in=[r.pk for r in by_scope], person_id=person_id)
    }
    return [
        row_of(places[r.pk], scope.lens) if r.pk in places else None
        for scope, r in zip(scopes, by_scope, strict=True)
    ]
