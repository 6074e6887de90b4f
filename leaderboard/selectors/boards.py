"""Reads of boards beyond the site state: a retired board's archive as shown today."""

from __future__ import annotations

from typing import Any

from leaderboard.domain import capabilities
from leaderboard.models import Board, BoardSnapshot, Person, Source


def archive_rows(snapshot: BoardSnapshot) -> list[dict[str, Any]]:
    """A snapshot's rows as its archive shows them today: under each person's choice of now
    (the hidden and the deleted left out, a pseudonym with no team), ranked again among
    those left so that no gap marks where someone was."""
    rows = snapshot.rows
    people = Person.objects.filter(pk__in=[r["person_id"] for r in rows]).only(
        "visibility", "display_name", "pseudonym"
    )
    by_pk = {p.pk: p for p in people}
    shown: list[dict[str, Any]] = []
    was = None
    for row in rows:
        person = by_pk.get(row["person_id"])
        if person is None or person.visibility == Person.Visibility.HIDDEN:
            continue
        named = person.visibility == Person.Visibility.NAME
        # Ties keep sharing a rank; otherwise the rank is the place among those shown.
        rank = shown[-1]["rank"] if shown and row["rank"] == was else len(shown) + 1
        was = row["rank"]
        shown.append(
            {
                "rank": rank,
                "name": person.display_name if named else person.pseudonym,
                "team": row["team"] if named else "",
                "value": row["value"],
            }
        )
    return shown


def requests_left_out(board: Board) -> list[Source]:
    """The counted sources of a board (none chosen: all) that cannot report requests, which
    its requests lens leaves out."""
    chosen = list(board.sources.all()) or list(Source.objects.all())
    return capabilities.without_requests(s for s in chosen if s.counts_toward_totals)
