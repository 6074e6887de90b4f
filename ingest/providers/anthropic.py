"""Anthropic Admin API: Messages usage by account and model, users for e-mails.

Reference: GET /v1/organizations/usage_report/messages and GET /v1/organizations/users
(https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ingest.records import Batch, Directory
from leaderboard.records import UNATTRIBUTED, AccountRecord, UsageRecord

from .http import JsonClient, ProviderDataError
from .parsing import Reader, keeping, read_rows

DEFAULT_BASE_URL = "https://api.anthropic.com"
USAGE_PATH = "/v1/organizations/usage_report/messages"
USERS_PATH = "/v1/organizations/users"
API_VERSION = "2023-06-01"
MAX_DAILY_BUCKETS = 31


def anthropic_client(base_url: str, api_key: str) -> JsonClient:
    return JsonClient(
        base_url=base_url, headers={"x-api-key": api_key, "anthropic-version": API_VERSION}
    )


def rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def read_result(obj: Any, where: str, day: dt.date) -> list[UsageRecord]:
    """One result; uncached input excludes both cache reads and cache writes."""
    result = Reader(obj, where)
    creation = result.object("cache_creation", required=False)
    cache_write = 0
    if creation is not None:
        cache_write = creation.int("ephemeral_1h_input_tokens", required=False) + creation.int(
            "ephemeral_5m_input_tokens", required=False
        )
    return [
        UsageRecord(
            day=day,
            account=result.str("account_id", required=False, nullable=True) or UNATTRIBUTED,
            model=result.str("model", required=False, nullable=True) or "unknown",
            input=result.int("uncached_input_tokens"),
            cache_read=result.int("cache_read_input_tokens", required=False),
            cache_write=cache_write,
            output=result.int("output_tokens"),
            requests=0,  # the Messages report has no request count
        )
    ]


def read_usage_page(body: Any, page: int) -> tuple[Batch, str | None]:
    data = Reader(body, f"page {page}")
    batch = Batch()
    for b, bucket_obj in enumerate(data.list("data"), start=1):
        bucket = Reader(bucket_obj, f"page {page}, bucket {b}")
        day = bucket.timestamp("starting_at")
        records, rejected = read_rows(
            bucket.list("results"),
            f"{bucket.where}, result",
            lambda obj, where, day=day: read_result(obj, where, day),
        )
        batch.records += records
        batch.rejected += rejected
    has_more = data.bool("has_more")
    next_page = data.str("next_page", required=False, nullable=True)
    if has_more and not next_page:
        raise ProviderDataError(f"page {page}: has_more is true but next_page is empty")
    return batch, next_page if has_more else None


def read_user(obj: Any, where: str) -> list[AccountRecord]:
    user = Reader(obj, where)
    return [
        AccountRecord(
            external_id=user.str("id") or "",
            email=user.str("email", required=False, nullable=True) or "",
            name=user.str("name", required=False, nullable=True) or "",
        )
    ]


def users_directory(client: JsonClient) -> Directory:
    """Every user of the organisation, following after_id."""
    directory = Directory()
    after: str | None = None
    page = 0
    while True:
        page += 1
        raw = client.get(USERS_PATH, limit=100, **({"after_id": after} if after else {}))
        with keeping(raw):
            body = Reader(raw, f"users page {page}")
            accounts, rejected = read_rows(body.list("data"), f"users page {page}, user", read_user)
            directory.accounts += accounts
            directory.rejected += rejected
            if not body.bool("has_more"):
                return directory
            after = body.str("last_id")


class AnthropicAdapter:
    """Pulls one Anthropic organisation's Messages API usage."""

    provider = "anthropic"

    def __init__(self, *, base_url: str, api_key: str) -> None:
        self.client = anthropic_client(base_url, api_key)

    def accounts(self) -> Directory:
        return users_directory(self.client)

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        params = {
            "starting_at": rfc3339(start),
            "ending_at": rfc3339(end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            "group_by[]": ["account_id", "model"],
            "limit": MAX_DAILY_BUCKETS,
        }
        cursor: str | None = None
        page = 0
        while True:
            page += 1
            body = self.client.get(USAGE_PATH, **params, **({"page": cursor} if cursor else {}))
            with keeping(body):
                batch, cursor = read_usage_page(body, page)
            yield batch
            if cursor is None:
                return

    def check(self) -> str:
        body = Reader(self.client.get(USERS_PATH, limit=1), "users page 1")
        return f"Anthropic answered; the key can list users ({len(body.list('data'))} shown)."

    def close(self) -> None:
        self.client.close()
