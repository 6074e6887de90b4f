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

from ingest.records import Batch, Directory
from leaderboard.domain.records import AccountRecord, UsageRecord

from .anthropic import API_KEYS_PATH as API_KEYS_PATH
from .anthropic import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from .anthropic import Actors, ApiKey, anthropic_client, api_keys, users_directory
from .http import JSON, ParamValue, ProviderDataError
from .parsing import Reader, Seen, keeping, next_cursor, read_rows

USAGE_PATH = "/v1/organizations/usage_report/claude_code"
PAGE_SIZE = 1000  # "max: 1000" records a page
API_KEY_PREFIX = "api_key:"


def read_record(obj: JSON, where: str) -> list[UsageRecord]:
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
        self.actors: Actors | None = None
        self.keys: dict[str, ApiKey] = {}

    def accounts(self) -> Directory:
        """People by e-mail (the users list adds names), and the agents and keys that API-key
        usage belongs to: a key acting as a user is that user's, as a service account an
        agent's (never its creator's); a key bound to no one, or named ambiguously, stays a
        key of its own that no one is credited with."""
        users = users_directory(self.client)
        keys, rejected = api_keys(self.client)
        self.actors = Actors.of(users, keys)
        names = Counter(k.name for k in keys)
        # names are not unique; an ambiguous name names nobody
        self.keys = {k.name: k for k in keys if names[k.name] == 1}
        emails = self.actors.emails
        directory = Directory(
            [
                replace(a, external_id=emails[a.external_id])
                for a in users.accounts
                if a.external_id in emails
            ],
            users.rejected + rejected,
        )
        for name in self.keys:
            account = self.key_account(name)
            if account.kind != "user":
                directory.accounts.append(account)
        return directory

    def key_account(self, name: str) -> AccountRecord:
        """The account an API key's usage belongs to, by the key's name."""
        actors = self.actors or Actors()
        key: ApiKey | None = self.keys.get(name)
        own = AccountRecord(
            external_id=API_KEY_PREFIX + name, name=f"API key {name}", kind="api_key"
        )
        if key is None or (key.acts_as == "user" and key.principal not in actors.emails):
            return own
        if key.acts_as == "user":
            email = actors.emails[key.principal]
            return AccountRecord(external_id=email, email=email)
        if key.acts_as == "service_account":
            return actors.agent(key.principal)
        return replace(own, owner_email=actors.emails.get(key.creator, ""))

    def resolved(self, batch: Batch) -> Batch:
        """The batch with each API key's usage given to the account the key acts as."""
        records = []
        for r in batch.records:
            if r.account_kind == "api_key" and r.account.startswith(API_KEY_PREFIX):
                account = self.key_account(r.account.removeprefix(API_KEY_PREFIX))
                r = replace(
                    r,
                    account=account.external_id,
                    account_kind=account.kind,
                    email=account.email,
                    owner_email=account.owner_email,
                )
            records.append(r)
        return Batch(records, batch.rejected)

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        if self.actors is None:
            self.accounts()
        day = start
        while day <= end:
            yield from map(self.resolved, self._day(day))
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
            params: dict[str, ParamValue] = {"starting_at": day.isoformat(), "limit": PAGE_SIZE}
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
