"""The OpenTelemetry receiver: coding agents (Claude Code and CLIs like it) send their usage
counters over OTLP/HTTP; Tokenboard keeps the data points and folds them into daily facts.

Design.
- A connection of provider `otlp` is a receiver. Creating one issues a bearer token, shown
  once (connect_provider's output, or the admin's message) and stored only as its SHA-256:
  the token is 256 random bits, so a fast hash cannot be searched, and unlike an admin key
  (encrypted, since Tokenboard must send it) nothing ever needs the token back. Lost, it is
  replaced (`connect_provider NAME --provider otlp --new-token`).
- The endpoint is `POST /otlp/<connection>/v1/metrics` (exporters append `/v1/metrics` to
  OTEL_EXPORTER_OTLP_ENDPOINT), public (no session, no CSRF), protobuf or JSON, gzip
  accepted, size-limited. A wrong or missing token and an unknown connection get the same
  401, so a caller learns nothing of which connections exist.
- Receiving stores points idempotently (ingest.models.ReceivedPoint): delta points by
  (series, start, time), so a re-sent point is the same row; cumulative points by (series,
  start, day), keeping the latest total, so a re-send changes nothing and a counter reset (a
  new start time) starts a new row. Points that cannot be read are refused alone (the
  response's partial_success counts them) and kept as rejected rows with their payload; a
  body that cannot be read at all is answered 400 and kept too.
- Folding: the request only stores, then queues one fold per connection on commit (while
  one is queued, further requests queue none). Measured on PostgreSQL (a laptop-class
  machine under a test run): storing a day's export of the demo's 8 users (11 kB, 80
  points) takes ~25 ms; folding 20 days takes ~2 s, since a fold re-reads and re-records
  its whole window. Inline, every request would wait for that: hence a task. The fold is
  the connection's pull (ingest.services.pulls): its "provider" is the stored points
  (providers.otlp_points), so the fold goes through the
  same record path, lock, run bookkeeping, overlap rule, deletions and usage_recorded signal
  as every pull. Its window starts at the earliest day received since the last fold. A
  worker killed mid-fold leaves that day marked, so the next fold (the next request's, or
  the schedule's) reads it again: nothing is lost, and a fold recomputes whole days, so
  nothing counts twice.
- Overlap (ingest.overlap): the points' usage is Claude Code usage, which a Claude Code
  admin report (and Anthropic's reports) may list again; whichever source has the person and
  day first stands, the other is set aside. A fold that counts a person for the first time on
  a day an Anthropic source counts them already queues a pull of that Anthropic connection
  over those days, which then sets its rows aside.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leaderboard.models import User
from leaderboard.services import audit, outbox

from ..models import Connection, IngestRun, Provider, ReceivedPoint
from ..providers import otlp
from ..providers.otlp import BadPayload, Point, TooLarge
from ..records import Rejection, raw_text
from .connections import connect_provider
from .pulls import pull_connection
from .runs import quarantine

log = logging.getLogger(__name__)

TOKEN_PREFIX = "tbo_"  # noqa: S105  # marks a token as Tokenboard's; not a secret
# A fold queued this long ago and not started is taken for lost (a Redis restarted without
# persistence loses its queue): the next request queues another.
FOLD_LOST_AFTER = dt.timedelta(minutes=10)

__all__ = ["BadPayload", "TooLarge"]


class Unauthorized(Exception):
    """No receiver of that name takes that token (or no token was given)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, connection: Connection, by: User | None = None) -> str:
    """Give a receiver a new bearer token (the old one stops working); return it: it is
    shown this once and stored only as a hash."""
    if connection.provider != Provider.OTLP:
        raise ValueError(f"{connection.name} is a {connection.provider} connection, not otlp")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.token_hash = token_hash(token)
    connection.save(update_fields=["token_hash"])
    audit.record(actor=by, action="receiver token issued", target=connection, details={})
    return token


def connect_receiver(
    *, name: str, new_token: bool = False, by: User | None = None
) -> tuple[Connection, str]:
    """Create a receiver (or find it); return it and its new token ("" if it kept its own)."""
    with transaction.atomic():
        connection, created = connect_provider(name=name, provider=Provider.OTLP, by=by)
        token = ""
        if created or new_token or not connection.token_hash:
            token = issue_token(connection=connection, by=by)
    return connection, token


def authenticate(*, name: str, authorization: str) -> Connection:
    """The enabled receiver called name whose token the Authorization header carries."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    connection = (
        Connection.objects.filter(name=name[:80], provider=Provider.OTLP, enabled=True)
        .select_related("source")
        .first()
    )
    expected = connection.token_hash if connection else ""
    given = token_hash(token) if token else ""
    # compared even when there is no such receiver, so timing tells nothing either
    matches = hmac.compare_digest(given or "-", expected or "+")
    if scheme.lower() != "bearer" or not token or connection is None or not matches:
        raise Unauthorized("a valid bearer token for this receiver is required")
    return connection


@dataclass(frozen=True)
class Received:
    """What a request delivered: points kept (new or already kept), refused, ignored."""

    accepted: int
    rejected: int
    ignored: int
    message: str


def receive_metrics(
    *,
    connection: Connection,
    body: bytes,
    content_type: str,
    content_encoding: str = "",
    now: dt.datetime | None = None,
) -> Received:
    """Read an OTLP/HTTP metrics request, keep its usage points (idempotently) and the parts
    it could not read, and queue a fold. Raise BadPayload (nothing readable: kept for
    review) or TooLarge."""
    now = now or timezone.now()
    try:
        kind = otlp.media_type(content_type)
        data = otlp.decompress(body, content_encoding, settings.OTLP_MAX_BODY_BYTES)
        request, rejections = otlp.decode(data, kind)
    except BadPayload as exc:
        quarantine(
            connection=connection,
            run=None,
            rejections=[Rejection("request", f"Refused (400): {exc}", raw_text(body))],
        )
        raise
    points, refused, ignored = otlp.read_points(request, now=now)
    rejections += refused
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        changed_from = store_points(connection=locked, points=points, received_at=now)
        if rejections:
            quarantine(connection=locked, run=None, rejections=rejections)
        mark_received(connection=locked, changed_from=changed_from)
    message = ""
    if rejections:
        message = (
            f"{len(rejections)} data point(s) refused and kept for review at Tokenboard: "
            + "; ".join(f"{r.location}: {r.reason}" for r in rejections[:3])
        )[:1000]
    return Received(len(points), len(rejections), ignored, message)


def store_points(
    *, connection: Connection, points: Iterable[Point], received_at: dt.datetime
) -> dt.date | None:
    """Keep new points (a delta point seen before, or a cumulative total no newer than the
    one kept, changes nothing); return the earliest day whose usage changed."""
    latest: dict[tuple[str, int, dt.date, int], Point] = {}
    for p in points:
        key = (p.series, p.start_ns, p.day, p.time_ns if p.temporality == otlp.DELTA else 0)
        if key not in latest or p.time_ns > latest[key].time_ns:
            latest[key] = p
    if not latest:
        return None
    stored = {
        (r.series, r.start_ns, r.day, r.slot): r
        for r in ReceivedPoint.objects.filter(
            connection=connection,
            series__in={k[0] for k in latest},
            day__in={k[2] for k in latest},
        )
    }
    new: list[ReceivedPoint] = []
    newer: list[ReceivedPoint] = []
    changed: set[dt.date] = set()
    for key, p in latest.items():
        row = stored.get(key)
        if row is None:
            new.append(
                ReceivedPoint(
                    connection=connection,
                    series=p.series,
                    start_ns=p.start_ns,
                    day=p.day,
                    slot=key[3],
                    time_ns=p.time_ns,
                    metric=p.metric,
                    cumulative=p.temporality == otlp.CUMULATIVE,
                    kind=p.kind,
                    email=p.email,
                    account=p.account,
                    model=p.model,
                    value=p.value,
                    received_at=received_at,
                )
            )
            changed.add(p.day)
        elif p.time_ns > row.time_ns:  # a later total of a cumulative series
            if row.value != p.value:
                changed.add(p.day)
            row.time_ns, row.value, row.received_at = p.time_ns, p.value, received_at
            newer.append(row)
    ReceivedPoint.objects.bulk_create(new, ignore_conflicts=True)
    ReceivedPoint.objects.bulk_update(newer, ["time_ns", "value", "received_at"])
    return min(changed) if changed else None


def mark_received(*, connection: Connection, changed_from: dt.date | None) -> None:
    """Note a request, and queue a fold (after commit) if usage changed and none is queued."""
    now = timezone.now()
    connection.last_received_at = now
    fields = ["last_received_at"]
    if changed_from is not None:
        if connection.fold_from is None or changed_from < connection.fold_from:
            connection.fold_from = changed_from
            fields.append("fold_from")
        queued = connection.fold_queued_at
        if queued is None or now - queued > FOLD_LOST_AFTER:
            connection.fold_queued_at = now
            fields.append("fold_queued_at")
            from ..tasks import fold_received  # the tasks module imports this one

            outbox.queue_on_commit(fold_received, connection.pk)
    connection.save(update_fields=fields)


def fold(*, connection: Connection, trigger: str = "receive") -> IngestRun:
    """Fold a receiver's points into facts from the earliest day changed since the last
    fold (the connection's pull); then forget that day, unless a request came meanwhile."""
    Connection.objects.filter(pk=connection.pk).update(fold_queued_at=None)
    seen = Connection.objects.filter(pk=connection.pk).values_list("fold_from", "last_received_at")[
        0
    ]
    connection.fold_from = seen[0]
    run = pull_connection(connection=connection, trigger=trigger)
    if run.status != IngestRun.Status.FAILED:
        Connection.objects.filter(
            pk=connection.pk, fold_from=seen[0], last_received_at=seen[1]
        ).update(fold_from=None)
    return run
