"""The OpenTelemetry receiver's "provider": the data points it kept (ingest.models.
ReceivedPoint), read back as daily usage records. It makes no request: a fold of received
points is a pull of this adapter, so it is recorded the way every pull is.

A day's usage of one (person, model): the delta points of that day summed, plus, for each
cumulative series (and start time), that day's last total less the last total of an
earlier day (or less nothing, on the series' first day; a total that went down without a new
start time is a reset the sender did not mark, read as a new start).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from ingest.models import Connection, ReceivedPoint
from ingest.records import Batch, Directory
from leaderboard.domain.records import UNATTRIBUTED, UsageRecord

# The usage is Claude Code's: a Claude Code admin report, or Anthropic's, may list it again.
OVERLAP = "claude_code"
ACCOUNT_PREFIX = "account:"

Key = tuple[dt.date, str, str, str]  # day, account, e-mail, model


class ReceivedAdapter:
    """Daily records from one receiver's stored points."""

    def __init__(self, *, connection_id: int) -> None:
        self.connection_id = connection_id

    def accounts(self) -> Directory:
        return Directory()  # people come with their e-mail on each record

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        tokens: dict[Key, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        costs: dict[Key, Decimal] = defaultdict(Decimal)
        for key, kind, value in self._amounts(start, end):
            if kind == "cost":
                costs[key] += value
            else:
                tokens[key][kind] += value
        by_day: dict[dt.date, list[UsageRecord]] = defaultdict(list)
        for key in sorted(tokens.keys() | costs.keys()):
            day, account, email, model = key
            counts = tokens.get(key, {})
            by_day[day].append(
                UsageRecord(
                    day=day,
                    account=account,
                    model=model,
                    input=int(counts.get("input", 0)),
                    output=int(counts.get("output", 0)),
                    cache_read=int(counts.get("cache_read", 0)),
                    cache_write=int(counts.get("cache_write", 0)),
                    requests=0,  # the counters carry no request count
                    cost=costs.get(key),
                    account_kind="user",
                    email=email,
                    overlap=OVERLAP,
                )
            )
        for day in sorted(by_day):
            yield Batch(by_day[day])

    def _amounts(self, start: dt.date, end: dt.date) -> Iterator[tuple[Key, str, Decimal]]:
        points = ReceivedPoint.objects.filter(connection_id=self.connection_id)
        fields = ("series", "start_ns", "day", "kind", "email", "account", "model", "value")
        for _, _, day, kind, email, account, model, value in points.filter(
            cumulative=False, day__range=(start, end)
        ).values_list(*fields):
            yield _key(day, email, account, model), kind, value
        touched = set(
            points.filter(cumulative=True, day__range=(start, end)).values_list(
                "series", "start_ns"
            )
        )
        if not touched:
            return
        before: dict[tuple[str, int], Decimal] = {}
        for series, start_ns, day, kind, email, account, model, value in (
            points.filter(cumulative=True, day__lte=end, series__in={s for s, _ in touched})
            .order_by("series", "start_ns", "day")
            .values_list(*fields)
        ):
            if (series, start_ns) not in touched:
                continue
            last = before.get((series, start_ns), Decimal(0))
            before[(series, start_ns)] = value
            if day >= start:
                added = value - last if value >= last else value
                yield _key(day, email, account, model), kind, added

    def check(self) -> str:
        connection = Connection.objects.get(pk=self.connection_id)
        kept = ReceivedPoint.objects.filter(connection_id=self.connection_id).count()
        when = connection.last_received_at
        last = f"last request {when:%Y-%m-%d %H:%M} UTC" if when else "no request received yet"
        return f"Receiver ready: {kept} data point(s) kept; {last}."

    def close(self) -> None:
        pass


def _key(day: dt.date, email: str, account: str, model: str) -> Key:
    if email:
        return day, email, email, model
    return day, ACCOUNT_PREFIX + account if account else UNATTRIBUTED, "", model
