"""Usage changed: rank the live boards again, off the request path (kept in the outbox
while the broker is down, so the pull that sent the signal still finishes)."""

from __future__ import annotations

from django.dispatch import receiver

from leaderboard import tasks
from leaderboard.services import outbox

from .signals import usage_recorded


@receiver(usage_recorded, dispatch_uid="leaderboard-rank-on-usage")
def queue_ranking(sender: object, source_id: int | None = None, **kwargs: object) -> None:
    # Once per pull, import or source change; accounts matched batch by batch during a pull
    # are covered by the pull's own signal (and any page ranks a stale scope on demand).
    if source_id is not None:
        outbox.queue(tasks.rank_boards)
