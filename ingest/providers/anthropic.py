"""Anthropic Admin API: Messages usage by account and model, users for e-mails.

Reference: GET /v1/organizations/usage_report/messages and GET /v1/organizations/users
(https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages).

The Messages report is "[Legacy]": a pull reads the Usage and Cost Analytics API
(anthropic_analytics) when the organisation and key can, and this report only when that
endpoint answers 404 or 403; `AnthropicAdapter.path` says which one it read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ingest.records import Batch, Directory
from leaderboard.records import UNATTRIBUTED, UsageRecord

from .anthropic_analytics import CLAUDE_CODE, FALLBACK_STATUSES, AnalyticsReport
from .http import JsonClient, ProviderRejected
from .parsing import Reader, bucket_pages, user_pages

DEFAULT_BASE_URL = "https://api.anthropic.com"
USAGE_PATH = "/v1/organizations/usage_report/messages"
USERS_PATH = "/v1/organizations/users"
API_VERSION = "2023-06-01"
MAX_DAILY_BUCKETS = 31
ANALYTICS, LEGACY = "analytics", "legacy"  # ingest.models.ReportPath


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
    account_id = result.str("account_id", required=False, nullable=True)
    return [
        UsageRecord(
            day=day,
            account=account_id or UNATTRIBUTED,
            model=result.str("model", required=False, nullable=True) or "unknown",
            input=result.int("uncached_input_tokens"),
            cache_read=result.int("cache_read_input_tokens", required=False),
            cache_write=cache_write,
            output=result.int("output_tokens"),
            requests=0,  # the Messages report has no request count
            # OAuth traffic (account_id) is mostly Claude Code, which its report lists again
            overlap=CLAUDE_CODE if account_id else "",
        )
    ]


def users_directory(client: JsonClient) -> Directory:
    """Every user of the organisation, following after_id."""
    return user_pages(client, USERS_PATH, after="after_id")


class AnthropicAdapter:
    """Pulls one Anthropic organisation's usage: from the Usage and Cost Analytics API when
    it answers, else from the legacy Messages report.

    `report_path` "legacy" skips the analytics probe (the pull service passes it for a day
    after a probe failed); `path` is the report read, `probed` whether this pull probed.
    """

    def __init__(self, *, base_url: str, api_key: str, report_path: str = "") -> None:
        self.client = anthropic_client(base_url, api_key)
        self.path = LEGACY if report_path == LEGACY else ""
        self.probed = False
        self.unavailable = ""  # what the analytics endpoint answered, when it did not serve

    @property
    def analytics(self) -> AnalyticsReport:
        return AnalyticsReport(self.client)

    def report(self) -> str:
        """The report this pull reads, probing the analytics endpoint once if need be."""
        if not self.path:
            self.probed = True
            try:
                self.analytics.probe(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
                self.path = ANALYTICS
            except ProviderRejected as exc:
                if exc.status not in FALLBACK_STATUSES:
                    raise
                self.path, self.unavailable = LEGACY, str(exc)
        return self.path

    @contextmanager
    def _legacy(self) -> Iterator[None]:
        """A legacy call; if it refuses the key after the analytics endpoint did too, say
        both (an Analytics API key can call nothing but the analytics endpoints)."""
        try:
            yield
        except ProviderRejected as exc:
            if not (self.unavailable and exc.bad_key):
                raise
            raise ProviderRejected(
                f"the Usage and Cost Analytics API is not available to this key or "
                f"organisation ({self.unavailable}), and the legacy reports refused the key "
                f"({exc}). An Analytics API key (read:analytics, e.g. Claude Enterprise) can "
                "read only /v1/organizations/analytics/*; the Messages report needs an Admin "
                "API key (sk-ant-admin…)",
                status=exc.status,
                raw=exc.raw,
            ) from exc

    def accounts(self) -> Directory:
        if self.report() == ANALYTICS:
            return Directory()  # its rows name their actors, e-mails included
        with self._legacy():
            return users_directory(self.client)

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        if self.report() == ANALYTICS:
            return self.analytics.usage(start, end)
        return self._legacy_usage(start, end)

    def _legacy_usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
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
        if self.report() == ANALYTICS:
            return "Anthropic answered; pulls read the Usage and Cost Analytics API."
        with self._legacy():
            body = Reader(self.client.get(USERS_PATH, limit=1), "users page 1")
        return (
            f"Anthropic answered; the key can list users ({len(body.list('data'))} shown). "
            f"Pulls read the legacy Messages report: {self.unavailable or 'chosen earlier'}."
        )

    def close(self) -> None:
        self.client.close()
