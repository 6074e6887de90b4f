"""Boards: pause, resume, retire (freezing the final standings), un-retire, and the
site-wide switch, each recorded with who and when; and the reads every page makes of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from . import audit
from .models import (
    Board,
    BoardSnapshot,
    BoardStatusChange,
    Person,
    SiteSwitch,
    Team,
    UsageVersion,
    User,
    version_number,
)
from .rankings import Ranking
from .standings import Scope, period_of

SNAPSHOT_ROWS = 1000  # an archive keeps the top of the final standings


class BoardStatusError(Exception):
    """That status change is not possible from the board's current status."""


def _change(
    board: Board, to: str, *, by: User | None, now: dt.datetime, retired_view: str = ""
) -> None:
    BoardStatusChange.objects.create(
        board=board,
        from_status=board.status,
        to_status=to,
        retired_view=retired_view,
        changed_by=by,
        changed_at=now,
    )
    audit.record(
        actor=by,
        action=f"board {to}",
        target=board,
        details={"from": board.status, "to": to, "retired_view": retired_view},
    )
    board.status = to


def pause_board(*, board: Board, by: User | None) -> Board:
    """Freeze an active board's standings as of now, behind a "paused" banner."""
    if board.status != Board.Status.ACTIVE:
        raise BoardStatusError(f"{board.name} is {board.status}; only an active board pauses.")
    now = timezone.now()
    with transaction.atomic():
        _change(board, Board.Status.PAUSED, by=by, now=now)
        board.paused_at = now
        board.save(update_fields=["status", "paused_at"])
    return board


def resume_board(*, board: Board, by: User | None) -> Board:
    """Make a paused board live again."""
    if board.status != Board.Status.PAUSED:
        raise BoardStatusError(f"{board.name} is {board.status}; only a paused board resumes.")
    with transaction.atomic():
        _change(board, Board.Status.ACTIVE, by=by, now=timezone.now())
        board.paused_at = None
        board.save(update_fields=["status", "paused_at"])
    return board


def retire_board(*, board: Board, view: str, by: User | None) -> Board:
    """Retire a board: freeze its final standings, then show them as an archive or hide it.
    Ingestion and badges carry on; only un-retiring brings the board back."""
    if board.status == Board.Status.RETIRED:
        raise BoardStatusError(f"{board.name} is retired already.")
    if view not in Board.RetiredView.values:
        raise BoardStatusError(f"Choose how a retired board shows: {Board.RetiredView.values}.")
    now = timezone.now()
    as_of = (board.paused_at or now).date()
    period = period_of(board.period, as_of)
    ranking = Ranking(Scope.of_board(board, lens=board.metric, period=period, as_of=as_of))
    rows = [
        {
            "rank": r.rank,
            "person_id": r.person_id,
            "name": r.name,
            "team": r.team,
            "value": str(r.value) if r.value is not None else None,
        }
        for r in ranking.page(limit=SNAPSHOT_ROWS)
    ]
    with transaction.atomic():
        BoardSnapshot.objects.create(
            board=board, taken_at=now, lens=board.metric, period_label=period.label, rows=rows
        )
        _change(board, Board.Status.RETIRED, by=by, now=now, retired_view=view)
        board.retired_at, board.retired_view, board.paused_at = now, view, None
        board.save(update_fields=["status", "retired_at", "retired_view", "paused_at"])
    return board


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


def unretire_board(*, board: Board, by: User | None) -> Board:
    """Bring a retired board back as active (its archive snapshot is kept)."""
    if board.status != Board.Status.RETIRED:
        raise BoardStatusError(f"{board.name} is not retired.")
    with transaction.atomic():
        _change(board, Board.Status.ACTIVE, by=by, now=timezone.now())
        board.retired_at, board.retired_view = None, ""
        board.save(update_fields=["status", "retired_at", "retired_view"])
    return board


def set_boards_visible(*, visible: bool, by: User | None) -> SiteSwitch:
    """The site-wide switch: hide every board at once (nothing is deleted), or show them."""
    switch, _ = SiteSwitch.objects.get_or_create(id=1)
    switch.boards_visible, switch.changed_by, switch.changed_at = visible, by, timezone.now()
    switch.save(update_fields=["boards_visible", "changed_by", "changed_at"])
    audit.record(actor=by, action="boards shown" if visible else "boards hidden", target=switch)
    return switch


def _counters() -> dict[str, type[models.Model]]:
    """Other apps' version counters that pages read, by name (settings.SITE_COUNTERS)."""
    return {name: apps.get_model(label) for name, label in settings.SITE_COUNTERS.items()}


@dataclass(frozen=True)
class Site:
    boards_visible: bool
    boards_version: int | None  # None: no switch row yet, so nothing is cached
    usage_version: int
    counters: dict[str, int] = field(default_factory=dict)


def site() -> Site:
    """The switch, the boards version, the usage version and the SITE_COUNTERS, in one plain
    query (every page reads them)."""
    counters = {"usage": UsageVersion} | _counters()
    numbers = ", ".join(
        f"(SELECT number FROM {model._meta.db_table} WHERE id = 1)"  # noqa: S608
        for model in counters.values()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.boards_visible, s.boards_version, {numbers} "  # noqa: S608
            f"FROM {SiteSwitch._meta.db_table} s WHERE s.id = 1"
        )
        row = cursor.fetchone()
    if row is None:
        visible, version, read = True, None, [version_number(m) for m in counters.values()]
    else:
        visible, version, read = bool(row[0]), row[1], [n or 0 for n in row[2:]]
    by_name = dict(zip(counters, read, strict=True))
    return Site(visible, version, by_name.pop("usage"), by_name)


def boards_visible() -> bool:
    return site().boards_visible


# Boards and teams change rarely, and any change moves the boards version: each process keeps
# its copy of the latest version's, so most pages neither ask Redis nor unpickle thousands of
# teams. (A stale copy is never read: the version is read afresh on every request.)
_held: dict[str, tuple[int, Any]] = {}


def _by_version(name: str, version: int | None, read: Callable[[], Any]) -> Any:
    if version is None:
        return read()
    held = _held.get(name)
    if held is not None and held[0] == version:
        return held[1]
    value = cache.get_or_set(f"{name}:{version}", read, 3600)
    _held[name] = (version, value)
    return value


def forget() -> None:
    """Drop this process's copies (tests roll the database, and so the versions, back)."""
    _held.clear()


def all_boards(version: int | None) -> list[Board]:
    """Every board with its teams and sources, in display order: read once per boards
    version (database triggers move it when any of them changes)."""
    return _by_version(
        "boards", version, lambda: list(Board.objects.prefetch_related("teams", "sources"))
    )


def all_teams(version: int | None) -> list[tuple[int, str]]:
    """Every team's pk and name, by name: read once per boards version (teams move it too)."""
    return _by_version(
        "teams", version, lambda: list(Team.objects.order_by("name").values_list("pk", "name"))
    )
