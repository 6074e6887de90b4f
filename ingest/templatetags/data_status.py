"""Data status fragments for the leaderboard's pages (the leaderboard app never imports
ingest)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from leaderboard.models import Board
from leaderboard.standings import Period

from .. import selectors

register = template.Library()


@register.inclusion_tag("ingest/_incomplete_days.html")
def incomplete_days_note(board: Board, period: Period) -> dict[str, Any]:
    """A note naming the days of a board's period whose data is not complete yet (none for
    a paused board: its standings stay as they were when it paused)."""
    if board.status != Board.Status.ACTIVE:
        return {"incomplete": None}
    sources = tuple(s.pk for s in board.sources.all())  # prefetched with the board
    return {
        "incomplete": selectors.incomplete_days(
            start=period.start, end=period.end, sources=sources, now=timezone.now()
        )
    }
