"""Cursor Admin API: usage events summed into daily facts per user and model.

Reference: POST /teams/filtered-usage-events and GET /teams/members
(https://cursor.com/docs/account/teams/admin-api).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx

from ingest.records import Batch, Directory
from leaderboard.domain.records import AccountRecord, UsageRecord

from .http import JSON, JsonClient, Pacer, ProviderDataError
from .parsing import Reader, Seen, add_up, keeping, read_rows

DEFAULT_BASE_URL = "https://api.cursor.com"
EVENTS_PATH = "/teams/filtered-usage-events"
MEMBERS_PATH = "/teams/members"
CHUNK_DAYS = 7  # events are summed in memory per chunk; keys never span chunks
# Requests a minute per team, as documented (https://cursor.com/docs/account/teams/admin-api):
# filtered-usage-events "Rate limited to 60 requests per minute per team." (daily-usage-data,
# 20 a minute, is not used; the members list states no limit).
RATE_LIMITS = {EVENTS_PATH: 60}


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def read_event(obj: JSON, where: str) -> list[UsageRecord]:
    """One request: a record with requests=1 (events without tokenUsage still count)."""
    event = Reader(obj, where)
    stamp = event.str("timestamp") or ""
    if not stamp.isdigit():
        raise ProviderDataError(f"{where}: timestamp should be epoch milliseconds, got {stamp!r}")
    day = dt.datetime.fromtimestamp(int(stamp) / 1000, tz=dt.UTC).date()
    service_account = event.str("serviceAccountId", required=False, nullable=True)
    if service_account:
        # a service account is automation: an agent, never the person its events name
        account, kind = f"service_account:{service_account}", "agent"
    else:
        account, kind = (event.str("userEmail") or "").strip().lower(), "user"
        if not account:
            raise ProviderDataError(f"{where}: userEmail is empty")
    tokens = event.object("tokenUsage", required=False)
    # The cost is the model's: tokenUsage.totalCents, "Total model cost in cents", like
    # every other provider's. chargedCents "includes model cost plus the Cursor Token Rate",
    # Cursor's own per-token fee, so it serves only for events billed without tokens.
    if tokens is not None:
        cents = tokens.decimal("totalCents", required=False)
    else:
        cents = event.decimal("chargedCents", required=False)
    return [
        UsageRecord(
            day=day,
            account=account,
            account_kind=kind,
            email=account if kind == "user" else "",
            model=event.str("model", required=False, nullable=True) or "unknown",
            input=tokens.int("inputTokens") if tokens else 0,
            cache_read=tokens.int("cacheReadTokens", required=False) if tokens else 0,
            cache_write=tokens.int("cacheWriteTokens", required=False) if tokens else 0,
            output=tokens.int("outputTokens") if tokens else 0,
            requests=1,
            cost=None if cents is None else cents / Decimal(100),
        )
    ]


def read_member(obj: JSON, where: str) -> list[AccountRecord]:
    member = Reader(obj, where)
    email = (member.str("email") or "").strip().lower()
    if not email:
        raise ProviderDataError(f"{where}: member has no e-mail")
    return [
        AccountRecord(
            external_id=email,
            email=email,
            name=member.str("name", required=False, nullable=True) or "",
        )
    ]


class CursorAdapter:
    """Pulls one Cursor team."""

    page_size = 1000  # the API's maximum

    def __init__(self, *, base_url: str, api_key: str) -> None:
        self.client = JsonClient(
            base_url=base_url,
            headers={},
            secret=api_key,
            auth=httpx.BasicAuth(api_key, ""),
            pacer=Pacer(RATE_LIMITS),
        )

    def accounts(self) -> Directory:
        raw = self.client.get(MEMBERS_PATH)
        with keeping(raw):
            members = Reader(raw, "members").list("teamMembers")
        accounts, rejected = read_rows(members, "members, member", read_member)
        return Directory(accounts, rejected)

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        chunk_start = start
        while chunk_start <= end:
            chunk_end = min(end, chunk_start + dt.timedelta(days=CHUNK_DAYS - 1))
            yield from self._chunk(chunk_start, chunk_end)
            chunk_start = chunk_end + dt.timedelta(days=1)

    def _chunk(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        """All event pages of [start, end]; sums are yielded once every page is in.

        Events are summed as they are read (memory grows with (day, person, model) keys and
        one 16-byte digest per event, not with the events). An event has no id, so its whole
        content is its identity: an event served again (a page repeated, or shifted by
        events arriving between page requests) counts once. Two events alike in every field,
        timestamp to the millisecond included, are indistinguishable and count once too.
        """
        window = {
            "startDate": epoch_ms(dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)),
            # both bounds are inclusive: end at the chunk's last millisecond
            "endDate": epoch_ms(
                dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            )
            - 1,
        }
        sums: dict[tuple[dt.date, str, str], UsageRecord] = {}
        rejected = []
        seen = Seen()
        page = 1
        while True:
            body = self.client.post(
                EVENTS_PATH, {**window, "page": page, "pageSize": self.page_size}
            )
            where = f"{start}..{end} page {page}"
            with keeping(body):
                data = Reader(body, where)
                records, bad = read_rows(
                    data.list("usageEvents"), f"{where}, event", read_event, skip=seen.before
                )
                pagination = data.object("pagination")
                # Pages are numbered, not chained by a cursor that could repeat: numPages bounds
                # them even if hasNextPage never turns false.
                has_next = pagination.bool("hasNextPage") and page < pagination.int("numPages")
            add_up(sums, records)
            rejected += bad
            if not has_next:
                yield Batch(list(sums.values()), rejected)
                return
            yield Batch()
            page += 1

    def check(self) -> str:
        raw = self.client.get(MEMBERS_PATH)
        count = len(Reader(raw, "members").list("teamMembers"))
        return f"Cursor answered; the key can list the team ({count} members)."

    def close(self) -> None:
        self.client.close()
