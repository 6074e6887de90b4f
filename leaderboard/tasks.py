"""Celery tasks: thin wrappers over leaderboard services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from leaderboard.services import outbox, page_views, rankings, review


@shared_task(name="leaderboard.rank_boards")
def rank_boards() -> int:
    """Store the rankings boards open first, so the first page view after an ingest is fast."""
    return rankings.rank_boards()


@shared_task(name="leaderboard.flush_outbox")
def flush_outbox() -> int:
    """Queue the follow-ups kept while the broker was down."""
    return outbox.flush()


@shared_task(name="leaderboard.prune_page_views")
def prune_page_views() -> int:
    """Forget views of boards, pages and exports older than VIEW_LOG_DAYS."""
    return page_views.prune_views(keep_days=settings.VIEW_LOG_DAYS)


@shared_task(name="leaderboard.detect_gaming")
def detect_gaming(days: int | None = None) -> int:
    """Run the gaming rules over all history (or the last `days` days); hold what they flag."""
    return len(review.detect_all(days=days))
