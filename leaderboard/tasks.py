"""Celery tasks: thin wrappers over leaderboard services."""

from __future__ import annotations

from celery import shared_task

from leaderboard.services import outbox, rankings


@shared_task(name="leaderboard.rank_boards")
def rank_boards() -> int:
    """Store the rankings boards open first, so the first page view after an ingest is fast."""
    return rankings.rank_boards()


@shared_task(name="leaderboard.flush_outbox")
def flush_outbox() -> int:
    """Queue the follow-ups kept while the broker was down."""
    return outbox.flush()
