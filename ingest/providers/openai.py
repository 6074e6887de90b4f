"""OpenAI Admin API: completions usage by user and model, users for e-mails.

Reference: GET /v1/organization/usage/completions and GET /v1/organization/users
(https://platform.openai.com/docs/api-reference/usage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ingest.records import Batch, Directory
from leaderboard.records import UNATTRIBUTED, UsageRecord

from .http import JsonClient, ProviderDataError
from .parsing import Reader, bucket_pages, user_pages

DEFAULT_BASE_URL = "https://api.openai.com"
USAGE_PATH = "/v1/organization/usage/completions"
USERS_PATH = "/v1/organization/users"
MAX_DAILY_BUCKETS = 31  # the API's limit for bucket_width=1d
STANDARD_TIERS = {"default": "standard"}


def epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def read_result(obj: Any, where: str, day: dt.date) -> list[UsageRecord]:
    """One completions result; input excludes cached and cache-write tokens."""
    result = Reader(obj, where)
    total_input = result.int("input_tokens")
    cache_read = result.int("input_cached_tokens", required=False)
    cache_write = result.int("input_cache_write_tokens", required=False)
    plain_input = total_input - cache_read - cache_write
    if plain_input < 0:
        raise ProviderDataError(
            f"{where}: input_tokens ({total_input}) is less than cached plus cache-write "
            f"tokens ({cache_read} + {cache_write})"
        )
    model = result.str("model", required=False, nullable=True)
    tier = (result.str("service_tier", required=False, nullable=True) or "").lower()
    if result.bool("batch", required=False):
        tier = "batch"
    return [
        UsageRecord(
            day=day,
            account=result.str("user_id", required=False, nullable=True) or UNATTRIBUTED,
            model=model or "unknown",
            input=plain_input,
            cache_read=cache_read,
            cache_write=cache_write,
            output=result.int("output_tokens"),
            requests=result.int("num_model_requests"),
            # the spec's example tier is "default": the standard rates
            service_tier=STANDARD_TIERS.get(tier, tier),
        )
    ]


class OpenAIAdapter:
    """Pulls one OpenAI organisation."""

    def __init__(self, *, base_url: str, api_key: str, client: JsonClient | None = None) -> None:
        self.client = client or JsonClient(
            base_url=base_url, headers={"authorization": f"Bearer {api_key}"}, secret=api_key
        )

    def accounts(self) -> Directory:
        return user_pages(self.client, USERS_PATH, after="after")

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        """Daily buckets for [start, end], one batch per API page."""
        params = {
            "start_time": epoch(start),
            "end_time": epoch(end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            # batch and service_tier only for pricing: the rows of one user, model and day
            # are summed into one fact
            "group_by[]": ["user_id", "model", "batch", "service_tier"],
            "limit": MAX_DAILY_BUCKETS,
        }
        return bucket_pages(
            self.client,
            USAGE_PATH,
            params,
            day_of=lambda b: dt.datetime.fromtimestamp(b.int("start_time"), tz=dt.UTC).date(),
            read_result=read_result,
        )

    def check(self) -> str:
        """Make one cheap authenticated call; say what it found."""
        body = Reader(self.client.get(USERS_PATH, limit=1), "users page 1")
        return f"OpenAI answered; the key can list users ({len(body.list('data'))} shown)."

    def close(self) -> None:
        self.client.close()
