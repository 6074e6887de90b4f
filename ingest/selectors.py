"""Reads about the data itself: per source, when it was last pulled, up to which day it is
complete, what it cannot report, and how much of its usage no person owns.

A day is complete once a successful pull saw the provider's report at least the provider's
documented delay (providers.FRESHNESS) after the day ended (UTC). A pull "sees" the report as
of its start, but no later than the end of its window: a pull of [Dec 1, Dec 3] that began
on Dec 5 says nothing about Dec 4. A file import is complete through its last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Field, OuterRef, Q, QuerySet, Subquery, Sum

from leaderboard.domain.capabilities import Capability, capability_of
from leaderboard.models import Account, Source, total_tokens

from . import db
from .models import Connection, IngestRun, Provider
from .providers import FRESHNESS, NO_DELAY_KNOWN, Freshness

SUCCESSFUL = [IngestRun.Status.SUCCEEDED, IngestRun.Status.PARTIAL]
KIND_LABELS = dict(Account.Kind.choices)


def freshness_of(provider: str) -> Freshness:
    return FRESHNESS.get(provider, NO_DELAY_KNOWN)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def complete_through(
    *, provider: str, started_at: dt.datetime | None, window_end: dt.date | None
) -> dt.date | None:
    """The last day a successful pull (begun at started_at, up to window_end) saw complete."""
    if started_at is None or window_end is None:
        return None
    if provider == Provider.FILE:
        return window_end
    seen = min(_utc(started_at), _midnight(window_end + dt.timedelta(days=1)))
    delay = freshness_of(provider).delay or dt.timedelta(0)
    return (seen - delay).date() - dt.timedelta(days=1)


@dataclass(frozen=True)
class PullState:
    """One connection's last successful pull, as the board note needs it (cached)."""

    name: str
    provider: str
    source_id: int
    counted: bool  # its source counts toward totals
    pulled: bool  # pulled on a schedule (enabled, not a file)
    last_pull: dt.datetime | None
    complete_through: dt.date | None


def _last_successful(field: str, order: tuple[str, ...]) -> Subquery[Field[object, object]]:
    runs = IngestRun.objects.filter(connection=OuterRef("pk"), status__in=SUCCESSFUL)
    return Subquery(runs.order_by(*order).values(field)[:1])


def with_pull_state(connections: QuerySet[Connection]) -> QuerySet[Connection]:
    """Connections annotated with their last successful pull, for `pull_state`."""
    # The pull that reached furthest (the latest of them) says how complete the data is; a
    # backfill of old days afterwards does not make newer ones incomplete again.
    furthest = ("-window_end", "-started_at")
    return connections.select_related("source").annotate(
        last_ok_at=_last_successful("started_at", ("-started_at",)),
        furthest_started=_last_successful("started_at", furthest),
        furthest_end=_last_successful("window_end", furthest),
        last_run_status=Subquery(
            IngestRun.objects.filter(connection=OuterRef("pk"))
            .order_by("-started_at")
            .values("status")[:1]
        ),
    )


def pull_state(c: Connection) -> PullState:
    """A connection's last successful pull (read through with_pull_state)."""
    return PullState(
        name=c.name,
        provider=c.provider,
        source_id=c.source_id,
        counted=c.source.counts_toward_totals,
        pulled=c.enabled and c.provider != Provider.FILE,
        # the three attributes below are with_pull_state's annotations, unknown to the model
        last_pull=c.last_ok_at,  # type: ignore[attr-defined]
        complete_through=complete_through(
            provider=c.provider,
            started_at=c.furthest_started,  # type: ignore[attr-defined]
            window_end=c.furthest_end,  # type: ignore[attr-defined]
        ),
    )


PULL_STATE_KEY = "ingest:pull-state"
PULL_STATE_SECONDS = 60


def pull_states() -> tuple[PullState, ...]:
    """Every connection's last successful pull; cached briefly, as every board page reads it
    (a pull that ends forgets it: forget_pull_state)."""
    states: tuple[PullState, ...] | None = cache.get(PULL_STATE_KEY)
    if states is None:
        states = tuple(pull_state(c) for c in with_pull_state(Connection.objects.all()))
        cache.set(PULL_STATE_KEY, states, PULL_STATE_SECONDS)
    return states


def forget_pull_state() -> None:
    """A pull or import ended: the next page reads the pull state afresh."""
    cache.delete(PULL_STATE_KEY)


@dataclass(frozen=True)
class Behind:
    """A source whose data for some days of a period is not complete yet."""

    name: str
    provider: str
    says: str  # its freshness, in the reference's words
    last_pull: dt.datetime | None
    complete_through: dt.date | None


@dataclass(frozen=True)
class IncompleteDays:
    first: dt.date
    last: dt.date
    behind: tuple[Behind, ...]


def incomplete_days(
    *, start: dt.date, end: dt.date, sources: tuple[int, ...] = (), now: dt.datetime
) -> IncompleteDays | None:
    """The days of [start, end] (up to today) some pulled source of a board (sources; none:
    all) has not reported completely yet, and which sources; None when every day is complete."""
    today = _utc(now).date()
    last = min(end, today)
    if start > last:
        return None
    first, behind = None, []
    for state in pull_states():
        if not (state.pulled and state.counted) or (sources and state.source_id not in sources):
            continue
        done = state.complete_through
        if done is not None and done >= last:
            continue
        from_day = start if done is None else max(start, done + dt.timedelta(days=1))
        first = from_day if first is None else min(first, from_day)
        behind.append(
            Behind(
                name=state.name,
                provider=Provider(state.provider).label
                if state.provider in Provider.values
                else state.provider,
                says=freshness_of(state.provider).says,
                last_pull=state.last_pull,
                complete_through=done,
            )
        )
    if first is None:
        return None
    return IncompleteDays(first=first, last=last, behind=tuple(behind))


@dataclass(frozen=True)
class Unowned:
    """Usage of one account kind that no person owns, in one source this month."""

    kind: str
    label: str
    tokens: int
    share: Decimal  # of the source's tokens this month, 0..1


@dataclass(frozen=True)
class SourceStatus:
    name: str
    provider: str  # its display name
    is_file: bool
    enabled: bool
    counts_toward_totals: bool  # off: set aside (its usage also appears in another source)
    last_pull: dt.datetime | None  # the last successful pull or import
    last_attempt_failed: bool  # the latest pull after it failed
    complete_through: dt.date | None
    freshness: Freshness
    capability: Capability
    month_tokens: int
    unowned: tuple[Unowned, ...]
    is_receiver: bool = False  # an OpenTelemetry receiver: exporters send, nothing is pulled
    last_received: dt.datetime | None = None  # a receiver's last request

    @property
    def unowned_share(self) -> Decimal | None:
        """The share of this month's tokens no person owns; None with no usage this month."""
        if not self.month_tokens:
            return None
        return sum((u.share for u in self.unowned), Decimal(0))


def _month_usage(month: dt.date) -> dict[int, dict[str, tuple[int, int]]]:
    """{source id: {account kind: (tokens, tokens no person owns)}} over a calendar month:
    from the monthly totals PostgreSQL keeps (usage_month), else from the facts."""
    tokens = total_tokens()
    rows = db.month_usage(month)
    found: dict[int, dict[str, tuple[int, int]]] = {}
    for row in (
        rows.values("source_id", "account__kind")
        .annotate(
            total=Sum(tokens, default=0),
            unowned=Sum(tokens, filter=Q(account__person__isnull=True), default=0),
        )
        .order_by()
    ):
        found.setdefault(row["source_id"], {})[row["account__kind"]] = (
            int(row["total"]),
            int(row["unowned"]),
        )
    return found


def _unowned(by_kind: dict[str, tuple[int, int]], total: int) -> tuple[Unowned, ...]:
    return tuple(
        Unowned(
            kind=kind,
            # a kind added later shows under its own label with no change here
            label=KIND_LABELS.get(kind, kind.replace("_", " ").capitalize()),
            tokens=unowned,
            share=Decimal(unowned) / Decimal(total),
        )
        for kind, (_, unowned) in sorted(by_kind.items(), key=lambda kv: -kv[1][1])
        if unowned
    )


def data_status(*, now: dt.datetime) -> tuple[SourceStatus, ...]:
    """Every source: its last successful pull, complete-through day, what it cannot report,
    and the share of this month's tokens no person owns, by account kind."""
    month = _utc(now).date().replace(day=1)
    usage = _month_usage(month)
    connections = {c.source_id: c for c in with_pull_state(Connection.objects.all())}
    statuses: list[SourceStatus] = []
    for source in Source.objects.order_by("name"):
        c = connections.get(source.pk)
        provider = c.provider if c else source.provider
        state = pull_state(c) if c else None
        by_kind = usage.get(source.pk, {})
        total = sum(t for t, _ in by_kind.values())
        statuses.append(
            SourceStatus(
                name=source.name,
                provider=Provider(provider).label if provider in Provider.values else provider,
                is_file=provider == Provider.FILE,
                enabled=bool(c and c.enabled),
                counts_toward_totals=source.counts_toward_totals,
                last_pull=state.last_pull if state else None,
                last_attempt_failed=bool(
                    # with_pull_state's annotation, unknown to the model
                    c and c.last_run_status == IngestRun.Status.FAILED  # type: ignore[attr-defined]
                ),
                complete_through=state.complete_through if state else None,
                freshness=freshness_of(provider),
                capability=capability_of(source.provider),
                month_tokens=total,
                unowned=_unowned(by_kind, total),
                is_receiver=provider == Provider.OTLP,
                last_received=c.last_received_at if c else None,
            )
        )
    return tuple(statuses)


def due_connections(now: dt.datetime) -> list[Connection]:
    """Enabled connections whose schedule says it is time to pull."""
    return [
        c
        for c in Connection.objects.filter(enabled=True).exclude(provider=Provider.FILE)
        if c.last_pull_at is None
        or c.last_pull_at + dt.timedelta(minutes=c.pull_every_minutes) <= now
    ]


UPLOAD_REQUEUE_AFTER = dt.timedelta(minutes=10)


def stale_uploads(now: dt.datetime) -> list[IngestRun]:
    """Admin uploads still queued UPLOAD_REQUEUE_AFTER after they were queued: their message
    may have been lost (a Redis restarted without persistence loses its queue), while their
    bytes wait in the database. Importing one twice is harmless (import_upload)."""
    return list(
        IngestRun.objects.filter(
            status=IngestRun.Status.QUEUED,
            started_at__lt=now - UPLOAD_REQUEUE_AFTER,
            chunks__isnull=False,
        ).distinct()
    )
