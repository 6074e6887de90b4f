"""Anthropic Admin API: Messages usage by account and model, users for e-mails.

Reference: GET /v1/organizations/usage_report/messages and GET /v1/organizations/users
(https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ingest.records import Batch, Directory
from leaderboard.records import UNATTRIBUTED, UsageRecord

from .http import JsonClient
from .parsing import Reader, bucket_pages, user_pages

DEFAULT_BASE_URL = "https://api.anthropic.com"
USAGE_PATH = "/v1/organizations/usage_report/messages"
USERS_PATH = "/v1/organizations/users"
API_VERSION = "2023-06-01"
MAX_DAILY_BUCKETS = 31


def anthropic_client(base_url: str, api_key: str) -> JsonClient:
    return JsonClient(
        base_url=base_url,
        headers={"x-api-key": api_key, "anthropic-version": API_VERSION},
        secret=api_key,
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


def users_directory(client: JsonClient) -> Directory:
    """Every user of the organisation, following after_id."""
    return user_pages(client, USERS_PATH, after="after_id")


class AnthropicAdapter:
    """Pulls one Anthropic organisation's Messages API usage."""

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
        return bucket_pages(
            self.client,
            USAGE_PATH,
            params,
            day_of=lambda bucket: bucket.timestamp("starting_at"),
            read_result=read_result,
        )

    def check(self) -> str:
        body = Reader(self.client.get(USERS_PATH, limit=1), "users page 1")
        return f"Anthropic answered; the key can list users ({len(body.list('data'))} shown)."

    def close(self) -> None:
        self.client.close()
