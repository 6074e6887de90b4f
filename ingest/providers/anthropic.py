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


# The Messages report's context_window values: every prompt of a "200k-1M" row was longer
# than 200k tokens (pricing applies a model's long-context multipliers from its threshold).
PROMPT_OVER = {"0-200k": 0, "200k-1M": 200_000}


def read_result(obj: Any, where: str, day: dt.date) -> list[UsageRecord]:
    """One result; uncached input excludes both cache reads and cache writes."""
    result = Reader(obj, where)
    creation = result.object("cache_creation", required=False)
    write_1h = write_5m = 0
    if creation is not None:
        write_1h = creation.int("ephemeral_1h_input_tokens", required=False)
        write_5m = creation.int("ephemeral_5m_input_tokens", required=False)
    context = result.str("context_window", required=False, nullable=True) or ""
    return [
        UsageRecord(
            day=day,
            account=result.str("account_id", required=False, nullable=True) or UNATTRIBUTED,
            model=result.str("model", required=False, nullable=True) or "unknown",
            input=result.int("uncached_input_tokens"),
            cache_read=result.int("cache_read_input_tokens", required=False),
            cache_write=write_1h + write_5m,
            output=result.int("output_tokens"),
            requests=0,  # the Messages report has no request count
            cache_write_1h=write_1h,
            # batch, flex, priority, standard as pricing names them; the others
            # (flex_discount, priority_on_demand) have no list price and stay unpriced
            service_tier=result.str("service_tier", required=False, nullable=True) or "",
            prompt_over=PROMPT_OVER.get(context, 0),
            inference_geo=result.str("inference_geo", required=False, nullable=True) or "",
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
            # service_tier, context_window and inference_geo only for pricing: the rows of
            # one account, model and day are summed into one fact
            "group_by[]": [
                "account_id",
                "model",
                "service_tier",
                "context_window",
                "inference_geo",
            ],
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
