"""The Celery app; configured from Django settings (CELERY_* names)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

from celery import Celery
from celery.signals import worker_init

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leaderboard.settings")

app = Celery("tokenboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_session_limits(
    sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    """Give a worker's PostgreSQL session its own limits (settings DB_WORKER_*): a longer
    statement timeout than pages get, an end to sessions left idle in a transaction, and
    (PostgreSQL 14+) a periodic check that the worker is still there, so the backend of a
    killed worker stops its query and releases its locks instead of running on for minutes."""
    from django.conf import settings

    if connection.vendor != "postgresql":
        return
    postgresql = cast("PostgreSQLWrapper", connection)  # its vendor says so
    limits = {
        "statement_timeout": settings.DB_WORKER_STATEMENT_TIMEOUT,
        "idle_in_transaction_session_timeout": settings.DB_WORKER_IDLE_IN_TRANSACTION_TIMEOUT,
    }
    if postgresql.pg_version >= 140000:
        limits["client_connection_check_interval"] = settings.DB_WORKER_CONNECTION_CHECK_INTERVAL
    with connection.cursor() as cursor:
        for name, value in limits.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [name, str(value)])


@worker_init.connect
def _use_worker_session_limits(**kwargs: object) -> None:
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(worker_session_limits, dispatch_uid="worker-session-limits")
    connections.close_all()  # sessions opened before this point get the limits on reconnect
