"""Anthropic Usage and Cost Analytics API (beta): token and request counts per actor.

Reference: GET /v1/organizations/analytics/usage
(https://platform.claude.com/docs/en/manage-claude/usage-cost-analytics-api,
https://platform.claude.com/docs/en/api/python/beta/organization/analytics/usage/list).
It serves Claude Console and Claude Enterprise organizations alike and "Requires an API key
with the `read:analytics` scope, or an Admin API key", so a Claude Enterprise Analytics key
(claude.ai seat users, their Claude Code included) is read through it too.

What is built on, as the reference says it:
- the beta header ("Send the `anthropic-beta: analytics-usage-cost-2026-08-24` header and an
  `anthropic-version` header on every request");
- parameters `starting_at`, `ending_at`, `group_by[]` (values `actor`, `model`, `product`),
  `page`; "With no `group_by[]` and no `time_bucket_width`, a single row aggregates the whole
  range", so each UTC day is asked for on its own (`time_bucket_width` values are
  unconfirmed, and so never sent; nor is `limit`, whose maximum is unconfirmed);
- flat rows {starting_at, ending_at, group{actor, model, product, ...}, usage{
  uncached_input_tokens, cache_creation{ephemeral_1h_input_tokens, ephemeral_5m_input_tokens},
  cache_read_input_tokens, output_tokens, requests, ...}};
- actors: user_actor {user_id, email_address (null when deleted)}, service_account_actor
  {service_account_id}, api_actor {api_key_id}. A user's usage through an API key is the
  user's ("An `apikey_` entry matches only usage attributed to the key itself, not usage on
  that key attributed to a user or service account").

UNCONFIRMED, and so assumed in one place each:
- the page envelope: taken to be the Admin API's common {data, has_more, next_page}
  (`page_of`);
- the product value of Claude Code: "claude_code", the value the Claude Enterprise
  Analytics API lists for its `user_usage_report` ("Values include \"chat\", \"claude_code\",
  ..."; https://platform.claude.com/docs/en/manage-claude/analytics-api), which this endpoint
  supersedes (`CLAUDE_CODE_PRODUCT`);
- `federated_actor` fields: its usage is kept unattributed, by no id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ingest.records import Batch
from leaderboard.domain.records import UNATTRIBUTED, UsageRecord

from .http import JSON, JsonClient, ParamValue, ProviderDataError
from .parsing import Reader, keeping, next_cursor, read_rows

USAGE_PATH = "/v1/organizations/analytics/usage"
BETA = "analytics-usage-cost-2026-08-24"
GROUP_BY = ["actor", "model", "product"]
# A connection whose analytics endpoint answers one of these reads the legacy reports.
FALLBACK_STATUSES = (403, 404)
# The source provider whose report lists a user's Claude Code usage again (by e-mail).
CLAUDE_CODE = "claude_code"
CLAUDE_CODE_PRODUCT = "claude_code"  # UNCONFIRMED for this endpoint (see the docstring)


def instant(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def page_of(body: JSON, where: str) -> tuple[list[JSON], str | None]:
    """A page's rows and the next page's cursor. UNCONFIRMED envelope: assumed to be the
    Admin API's {data, has_more, next_page}, the one place that assumption is made."""
    page = Reader(body, where)
    return page.list("data"), next_cursor(page)


def read_actor(group: Reader) -> tuple[str, str, str]:
    """(account id, kind, e-mail) of a row's actor; usage of no known actor is unattributed."""
    if "actor" not in group.obj:
        raise ProviderDataError(f"{group.where}: required field 'actor' is missing")
    actor = group.object("actor", required=False)
    if actor is None:
        return UNATTRIBUTED, "unattributed", ""
    kind = actor.str("type")
    if kind == "user_actor":
        email = (actor.str("email_address", nullable=True) or "").strip().lower()
        return actor.str("user_id") or "", "user", email
    if kind == "service_account_actor":
        return actor.str("service_account_id") or "", "agent", ""
    if kind == "api_actor":
        return actor.str("api_key_id") or "", "api_key", ""
    if kind == "federated_actor":  # its fields are not in the reference we could read
        return UNATTRIBUTED, "unattributed", ""
    raise ProviderDataError(f"{actor.where}: unknown actor type {kind!r}")


def read_row(obj: JSON, where: str, day: dt.date) -> list[UsageRecord]:
    """One row of one day: an actor's usage of one model in one product."""
    row = Reader(obj, where)
    if (starts := row.timestamp("starting_at")) != day:
        raise ProviderDataError(f"{where}: asked for {day}, got a row starting {starts}")
    group = row.object("group")
    usage = row.object("usage")
    account, kind, email = read_actor(group)
    if kind != "unattributed" and not account:
        raise ProviderDataError(f"{group.where}: the actor has no id")
    product = group.str("product", required=False, nullable=True)
    creation = usage.object("cache_creation", required=False)
    cache_write = 0
    if creation is not None:
        cache_write = creation.int("ephemeral_1h_input_tokens", required=False) + creation.int(
            "ephemeral_5m_input_tokens", required=False
        )
    return [
        UsageRecord(
            day=day,
            account=account,
            model=group.str("model", required=False, nullable=True) or "unknown",
            input=usage.int("uncached_input_tokens"),
            cache_read=usage.int("cache_read_input_tokens", required=False),
            cache_write=cache_write,
            output=usage.int("output_tokens"),
            requests=usage.int("requests", required=False),
            account_kind=kind,
            email=email,
            # A user's Claude Code usage, which a Claude Code report may list again.
            overlap=CLAUDE_CODE if kind == "user" and product == CLAUDE_CODE_PRODUCT else "",
        )
    ]


class AnalyticsReport:
    """The analytics usage endpoint of one organisation, read a UTC day at a time."""

    def __init__(self, client: JsonClient) -> None:
        self.client = client

    def get(self, **params: ParamValue) -> JSON:
        return self.client.request(
            "GET", USAGE_PATH, params=params, headers={"anthropic-beta": BETA}
        )

    def probe(self, day: dt.date) -> None:
        """One ungrouped day: raises ProviderRejected if the key or organisation cannot
        read the endpoint (404, 403: the caller falls back to the legacy reports)."""
        self.get(starting_at=instant(day), ending_at=instant(day + dt.timedelta(days=1)))

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        day = start
        while day <= end:
            yield from self._day(day)
            day += dt.timedelta(days=1)

    def _day(self, day: dt.date) -> Iterator[Batch]:
        """Every page of one day; the day's records come once all pages are in, since one
        actor's model may span pages (a row per product)."""
        params: dict[str, ParamValue] = {
            "starting_at": instant(day),
            "ending_at": instant(day + dt.timedelta(days=1)),
            "group_by[]": GROUP_BY,
        }
        whole_day = Batch()
        cursor: str | None = None
        page = 0
        while True:
            page += 1
            body = self.get(**params, **({"page": cursor} if cursor else {}))
            with keeping(body):
                rows, cursor = page_of(body, f"{day} page {page}")
                records, rejected = read_rows(
                    rows,
                    f"{day} page {page}, row",
                    lambda obj, where: read_row(obj, where, day),
                )
            whole_day.records += records
            whole_day.rejected += rejected
            if cursor is None:
                yield whole_day
                return
            yield Batch()  # progress: a page done, its records wait for the rest of the day
