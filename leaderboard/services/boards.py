"""Boards: pause, resume, retire (freezing the final standings), un-retire, and the
site-wide switch, each recorded with who and when."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from leaderboard.domain.periods import period_of
from leaderboard.domain.rows import SnapshotRow, row_of
from leaderboard.models import Board, BoardSnapshot, BoardStatusChange, Place, SiteSwitch, User
from leaderboard.services import audit
from leaderboard.services.rankings import board_scope, stored

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
    scope = board_scope(board, lens=board.metric, period=period, as_of=as_of)
    places = Place.objects.filter(scope=stored(scope).ranked_scope).order_by("position")
    final = [row_of(place, scope.lens) for place in places[:SNAPSHOT_ROWS]]
    rows: list[SnapshotRow] = [
        {
            "rank": r.rank,
            "person_id": r.person_id,
            "name": r.name,
            "team": r.team,
            "value": str(r.value) if r.value is not None else None,
        }
        for r in final
    ]
    with transaction.atomic():
        BoardSnapshot.objects.create(
            board=board, taken_at=now, lens=board.metric, period_label=period.label, rows=rows
        )
        _change(board, Board.Status.RETIRED, by=by, now=now, retired_view=view)
        board.retired_at, board.retired_view, board.paused_at = now, view, None
        board.save(update_fields=["status", "retired_at", "retired_view", "paused_at"])
    return board


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
