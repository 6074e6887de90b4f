"""Usage changed: queue a badge evaluation for those days (the only flow back from ingest)."""

from __future__ import annotations

import datetime as dt

from django.dispatch import receiver

from leaderboard.services import outbox
from leaderboard.signals import usage_recorded

from . import tasks


@receiver(usage_recorded, dispatch_uid="badges-evaluate-on-usage")
def queue_evaluation(
    sender: object, start: dt.date | None = None, end: dt.date | None = None, **kwargs: object
) -> None:
    if start and end:
        outbox.queue(tasks.evaluate_changed, start.isoformat(), end.isoformat())
    else:
        outbox.queue(tasks.evaluate_changed)
