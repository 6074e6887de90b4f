"""Which database a query goes to when a read replica is configured (DATABASE_REPLICA_URL).

One rule: a request reads the leaderboard's and badges' tables from the replica only while
`replica_reads()` is on: `leaderboard.web.middleware.ReplicaReads` calls `use_replica()` for
GET and HEAD requests to the leaderboard's pages (never for a client that wrote a moment ago).
Everything else goes to the primary ("default"): every write, every read inside a
transaction, the session, user and sign-in tables, admin, Celery tasks and commands (the
switch is off outside such a request).

The first write of a request, or `use_primary()`, turns the switch off for the rest of it,
so a query that must see a write made in this request reads the primary. The stored-ranking
fill calls `use_primary()` when a request that read the replica finds no ranking of a scope
at its version (lag, or nobody ranked it): it reads the primary's own usage version, and
uses or ranks and stores the scope there, never under the replica's older version.

Raw SQL reads honour the router through `read_connection(Model)`.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

REPLICA = "replica"
# The apps whose tables pages read; the user model is read on the primary (sign-in).
REPLICA_APPS = frozenset({"leaderboard", "badges"})


@dataclass
class _Request:
    replica: bool = False  # page reads go to the replica now
    read_replica: bool = False  # some read of this request went there


_request: ContextVar[_Request | None] = ContextVar("tokenboard_replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def begin_request() -> Token[_Request | None]:
    """Reads go to the primary until `use_replica()`; `end_request(token)` restores."""
    return _request.set(_Request())


def end_request(token: Token[_Request | None]) -> None:
    _request.reset(token)


def use_replica() -> None:
    """Send this request's page reads to the replica (when one is configured)."""
    if (state := _request.get()) is not None:
        state.replica = replica_configured()


def replica_reads() -> bool:
    """Whether this request's page reads go to the replica now."""
    state = _request.get()
    return state is not None and state.replica


def read_replica() -> bool:
    """Whether some read of this request went to the replica (what it read, a usage version
    say, may be behind the primary)."""
    state = _request.get()
    return state is not None and state.read_replica


def use_primary() -> None:
    """Read the primary for the rest of this request: it wrote, or must see a write."""
    if (state := _request.get()) is not None:
        state.replica = False


def read_connection(model: type[Model]) -> BaseDatabaseWrapper:
    """The connection a raw read of this model's table goes to."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    """Page reads to the replica while `replica_reads()`, everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        state = _request.get()
        if (
            state is not None
            and state.replica
            and model._meta.app_label in REPLICA_APPS
            and model._meta.label != settings.AUTH_USER_MODEL
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            state.read_replica = True
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        use_primary()  # what this request reads next may need to see this write
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica replays the primary's schema
