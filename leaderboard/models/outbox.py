"""Follow-up tasks kept while the broker is down."""

from __future__ import annotations

from django.db import models


class PendingTask(models.Model):
    """A follow-up task that could not be queued (the broker was down when its work was
    committed): `leaderboard.flush_outbox` queues it again once the broker answers."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
