"""Anthropic Claude Code analytics: one UTC day per request, per actor and model.

Reference: GET /v1/organizations/usage_report/claude_code
(https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ingest.records import Batch, Directory, Rejection
from leaderboard.records import AccountRecord, UsageRecord

from .anthropic import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from .anthropic import anthropic_client, users_directory
from .http import ProviderDataError
from .parsing import Reader, Seen, keeping, next_cursor, read_rows

USAGE_PATH = "/v1/organizations/usage_report/claude_code"
API_KEYS_PATH = "/v1/organizations/api_keys"
PAGE_SIZE = 1000  # "max: 1000" records a page
API_KEYS_PAGE_SIZE = 1000  # "Ranges from `1` to `1000`."
API_KEY_PREFIX = "api_key:"


def read_api_key(obj: Any, where: str) -> list[tuple[str, str | None]]:
    """(key name, owner's user id or None)."""
    key = Reader(obj, where)
    owner = None
    for role in ("principal", "created_by"):
        who = key.object(role, required=False)
        if who is not None and who.str("type", required=False, nullable=True) == "user":
            owner = who.str("id")
            break
    return [(key.str("name") or "", owner)]


def read_record(obj: Any, where: str) -> list[UsageRecord]:
    """One actor's day: a record per model; API keys are kept under their key name."""
    record = Reader(obj, where)
    actor = record.object("actor")
    kind = actor.str("type")
    if kind == "user_actor":
        account = (actor.str("email_address") or "").strip().lower()
    elif kind == "api_actor":
        account = API_KEY_PREFIX + (actor.str("api_key_name") or "")
    else:
        raise ProviderDataError(f"{actor.where}: unknown actor type {kind!r}")
    if not account or account == API_KEY_PREFIX:
        raise ProviderDataError(f"{actor.where}: the actor has no e-mail or key name")
    day = record.utc_day("date")
    records = []
    for m, item in enumerate(record.list("model_breakdown"), start=1):
        model = Reader(item, f"{where}, model {m}")
        tokens = model.object("tokens")
        cost = model.object("estimated_cost", required=False)
        cents = cost.decimal("amount") if cost is not None else None
        records.append(
            UsageRecord(
                day=day,
                account=account,
                model=model.str("model") or "unknown",
                input=tokens.int("input"),
                cache_read=tokens.int("cache_read", required=False),
                cache_write=tokens.int("cache_creation", required=False),
                output=tokens.int("output"),
                requests=0,  # sessions are not requests; the report has no request count
                cost=None if cents is None else cents / Decimal(100),
                account_kind="user" if kind == "user_actor" else "api_key",
                email=account if kind == "user_actor" else "",
            )
        )
    return records


class ClaudeCodeAdapter:
    """Pulls Claude Code usage, a day at a time; all records of a day count (local, remote)."""

    def __init__(self, *, base_url: str, api_key: str) -> None:
        self.client = anthropic_client(base_url, api_key)

    def accounts(self) -> Directory:
        """People by e-mail (the users list adds names), and API keys with the owner the
        keys list names: the key's principal when it is a user, else its creator."""
        users = users_directory(self.client)
        emails = {a.external_id: a.email.strip().lower() for a in users.accounts if a.email}
        directory = Directory(
            [
                replace(a, external_id=emails[a.external_id])
                for a in users.accounts
                if a.external_id in emails
            ],
            users.rejected,
        )
        keys, rejected = self._api_keys()
        directory.rejected += rejected
        names = Counter(name for name, _ in keys)
        for name, owner in keys:
            if names[name] == 1:  # names are not unique; an ambiguous name names nobody
                directory.accounts.append(
                    AccountRecord(
                        external_id=API_KEY_PREFIX + name,
                        email=emails.get(owner or "", ""),
                        name=f"API key {name}",
                        kind="api_key",
                    )
                )
        return directory

    def _api_keys(self) -> tuple[list[tuple[str, str | None]], list[Rejection]]:
        keys: list[tuple[str, str | None]] = []
        rejected: list[Rejection] = []
        after: str | None = None
        seen = Seen()
        page = 0
        while True:
            page += 1
            raw = self.client.get(
                API_KEYS_PATH, limit=API_KEYS_PAGE_SIZE, **({"after_id": after} if after else {})
            )
            with keeping(raw):
                body = Reader(raw, f"api keys page {page}")
                found, bad = read_rows(
                    body.list("data"), f"{body.where}, key", read_api_key, skip=seen.before
                )
                keys += found
                rejected += bad
                if not body.bool("has_more"):
                    return keys, rejected
                after = body.str("last_id")
                if seen.again(after, body.where):
                    return keys, rejected

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        day = start
        while day <= end:
            yield from self._day(day)
            day += dt.timedelta(days=1)

    def _day(self, day: dt.date) -> Iterator[Batch]:
        """Every page of one day; the day's records are yielded once all pages are in, since
        one person's records may span pages.

        Records are summed, so a record served twice (a page repeated, a provider retrying a
        cursor) is read once: the reference gives a record no id, and an actor may have more
        than one record a day (terminal_type, is_remote, customer_type), so a record's
        identity is its whole content. Two records alike in every field are one.
        """
        whole_day = Batch()
        cursor: str | None = None
        seen = Seen()
        page = 0
        while True:
            page += 1
            params: dict[str, Any] = {"starting_at": day.isoformat(), "limit": PAGE_SIZE}
            body = self.client.get(USAGE_PATH, **params, **({"page": cursor} if cursor else {}))
            with keeping(body):
                data = Reader(body, f"{day} page {page}")
                records, rejected = read_rows(
                    data.list("data"), f"{data.where}, record", read_record, skip=seen.before
                )
                cursor = next_cursor(data)
            wrong_day = [r for r in records if r.day != day]
            if wrong_day:
                raise ProviderDataError(
                    f"{data.where}: asked for {day}, got a record for {wrong_day[0].day}", raw=body
                )
            whole_day.records += records
            whole_day.rejected += rejected
            if cursor is None or seen.again(cursor, data.where):
                yield whole_day
                return
            yield Batch()  # progress: a page done, its records wait for the rest of the day

    def check(self) -> str:
        body = Reader(self.client.get("/v1/organizations/users", limit=1), "users page 1")
        return f"Anthropic answered; the key can list users ({len(body.list('data'))} shown)."

    def close(self) -> None:
        self.client.close()
