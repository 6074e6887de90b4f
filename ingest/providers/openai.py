"""OpenAI Admin API: completions usage by user and model, users for e-mails.

Reference: GET /v1/organization/usage/completions and GET /v1/organization/users
(https://platform.openai.com/docs/api-reference/usage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from leaderboard.records import UNATTRIBUTED, AccountRecord, UsageRecord

from .http import JsonClient, ProviderDataError
from .parsing import Reader

DEFAULT_BASE_URL = "https://api.openai.com"
USAGE_PATH = "/v1/organization/usage/completions"
USERS_PATH = "/v1/organization/users"
MAX_DAILY_BUCKETS = 31  # the API's limit for bucket_width=1d


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def parse_usage_result(result: Reader, day: dt.date) -> UsageRecord:
    """Map one completions result to a record (input excludes cached and cache-write tokens)."""
    total_input = result.int("input_tokens")
    cache_read = result.int("input_cached_tokens", required=False)
    cache_write = result.int("input_cache_write_tokens", required=False)
    plain_input = total_input - cache_read - cache_write
    if plain_input < 0:
        raise ProviderDataError(
            f"{result.where}: input_tokens ({total_input}) is less than cached plus cache-write "
            f"tokens ({cache_read} + {cache_write})"
        )
    model = result.str("model", required=False, nullable=True)
    return UsageRecord(
        day=day,
        account=result.str("user_id", required=False, nullable=True) or UNATTRIBUTED,
        model=model or "unknown",
        input=plain_input,
        cache_read=cache_read,
        cache_write=cache_write,
        output=result.int("output_tokens"),
        requests=result.int("num_model_requests"),
    )


def parse_usage_page(body: object, page: int) -> tuple[list[UsageRecord], str | None]:
    """Records of one page and the cursor of the next (None on the last page)."""
    data = Reader(body, f"page {page}")
    records = []
    for b, bucket_obj in enumerate(data.list("data"), start=1):
        bucket = Reader(bucket_obj, f"page {page}, bucket {b}")
        day = dt.datetime.fromtimestamp(bucket.int("start_time"), tz=dt.UTC).date()
        for r, result in enumerate(bucket.list("results"), start=1):
            records.append(parse_usage_result(Reader(result, f"{bucket.where}, result {r}"), day))
    next_page = data.str("next_page", nullable=True) if data.bool("has_more") else None
    if data.bool("has_more") and not next_page:
        raise ProviderDataError(f"page {page}: has_more is true but next_page is empty")
    return records, next_page


class OpenAIAdapter:
    """Pulls one OpenAI organisation."""

    provider = "openai"

    def __init__(self, *, base_url: str, api_key: str, client: JsonClient | None = None) -> None:
        self.client = client or JsonClient(
            base_url=base_url, headers={"authorization": f"Bearer {api_key}"}
        )

    def accounts(self) -> Iterator[AccountRecord]:
        after: str | None = None
        page = 0
        while True:
            page += 1
            params: dict[str, object] = {"limit": 100} | ({"after": after} if after else {})
            body = Reader(self.client.get(USERS_PATH, **params), f"users page {page}")
            for i, user_obj in enumerate(body.list("data"), start=1):
                user = Reader(user_obj, f"users page {page}, user {i}")
                yield AccountRecord(
                    external_id=user.str("id") or "",
                    email=user.str("email", required=False, nullable=True) or "",
                    name=user.str("name", required=False, nullable=True) or "",
                )
            if not body.bool("has_more"):
                return
            after = body.str("last_id")

    def usage_pages(self, start: dt.date, end: dt.date) -> Iterator[list[UsageRecord]]:
        """Daily buckets for [start, end], one list of records per API page."""
        params = {
            "start_time": _epoch(start),
            "end_time": _epoch(end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            "group_by[]": ["user_id", "model"],
            "limit": MAX_DAILY_BUCKETS,
        }
        cursor: str | None = None
        page = 0
        while True:
            page += 1
            body = self.client.get(USAGE_PATH, **params, **({"page": cursor} if cursor else {}))
            records, cursor = parse_usage_page(body, page)
            yield records
            if cursor is None:
                return

    def close(self) -> None:
        self.client.close()
