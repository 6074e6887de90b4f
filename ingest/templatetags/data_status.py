"""Data status fragments for the leaderboard's pages (the leaderboard app never imports
ingest)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone

from leaderboard.domain.periods import Period
from leaderboard.models import Board

from .. import selectors

register = template.Library()


@register.inclusion_tag("ingest/_incomplete_days.html")
def incomplete_days_note(board: Board, period: Period) -> dict[str, object]:
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


@register.filter
def portion(value: Decimal | None) -> str:
    """A share of usage as a percentage; a sliver is never written as 0% or 100%."""
    if value is None:
        return "n/a"
    if 0 < value < Decimal("0.001"):
        return "<0.1%"
    if Decimal("0.999") < value < 1:
        return ">99.9%"
    return f"{value * 100:.1f}%"
