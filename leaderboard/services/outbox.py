"""Queue follow-up tasks without ever failing the work that asked for them.

With the broker (Redis) down, a publish raises; the caller's facts are committed already, so
the task is kept as a PendingTask row and `flush_outbox` (beat, every minute) queues it again
once the broker answers. After one failed publish the process skips the broker for
`SKIP_SECONDS`, so a pull during an outage does not wait out a timeout per follow-up.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from leaderboard.models import PendingTask

log = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, RedisError, OSError)
SKIP_SECONDS = 30.0
_skip_until = 0.0

# What a task takes: JSON primitives (ids, ISO dates), so that a kept call is stored as it is.
type TaskArg = str | int | float | bool | None


class Task(Protocol):
    """A Celery task, as far as queueing it goes (Celery ships no types)."""

    name: str

    def delay(self, *args: TaskArg, **kwargs: TaskArg) -> object: ...


def queue(task: Task, *args: TaskArg, **kwargs: TaskArg) -> bool:
    """Queue task(*args, **kwargs), or keep it for later; say whether it was queued."""
    global _skip_until
    if time.monotonic() >= _skip_until:
        try:
            task.delay(*args, **kwargs)
            return True
        except BROKER_ERRORS as error:
            _skip_until = time.monotonic() + SKIP_SECONDS
            log.warning("broker unavailable, %s kept to queue later: %r", task.name, error)
    keep(name=task.name, args=list(args), kwargs=kwargs)
    return False


def queue_on_commit(task: Task, *args: TaskArg, **kwargs: TaskArg) -> None:
    """queue() once the current transaction commits (Celery's delay_on_commit, minus its
    raising after the commit when the broker is down)."""
    transaction.on_commit(lambda: queue(task, *args, **kwargs))


def keep(*, name: str, args: list[TaskArg], kwargs: dict[str, TaskArg]) -> None:
    """Record a task to queue once the broker is back (once: the same call is kept once)."""
    PendingTask.objects.get_or_create(task=name, args=args, kwargs=kwargs)


def flush() -> int:
    """Queue every kept task, oldest first; return how many were queued."""
    global _skip_until
    sent = 0
    for pending in PendingTask.objects.order_by("pk"):
        current_app.send_task(pending.task, args=pending.args, kwargs=pending.kwargs)
        pending.delete()
        sent += 1
    _skip_until = 0.0
    return sent
