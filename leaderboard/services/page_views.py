"""The view log: who looked at which board or page, or made which export (issue 20 §4)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from leaderboard.db.page_views import insert_view
from leaderboard.models import PageView


def record_view(*, viewer_id: int | None, kind: str, target: str, query: str = "") -> None:
    """Log one view: a single INSERT, no read (it runs on every board and page view)."""
    insert_view(
        at=timezone.now(), viewer_id=viewer_id, kind=kind, target=target[:200], query=query[:300]
    )


def prune_views(*, keep_days: int) -> int:
    """Delete the views older than keep_days; return how many went."""
    before = timezone.now() - dt.timedelta(days=keep_days)
    deleted, _ = PageView.objects.filter(at__lt=before).delete()
    return deleted
