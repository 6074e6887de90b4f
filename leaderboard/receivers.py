"""Usage changed: rank the live boards again, off the request path."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from . import tasks
from .signals import usage_recorded


@receiver(usage_recorded, dispatch_uid="leaderboard-rank-on-usage")
def queue_ranking(sender: Any, **kwargs: Any) -> None:
    tasks.rank_boards.delay()
