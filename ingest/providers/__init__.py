"""Provider adapters: each turns one vendor's admin API into account and usage records.

An adapter has `accounts()` (the provider's users), `usage(start, end)` (one Batch per API
page), `check()` (one cheap authenticated call) and `close()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ingest.records import Batch, Directory

from . import anthropic, claude_code, copilot, cursor, litellm, openai
from .demo import demo_adapter
from .http import check_base_url
from .otlp_points import ReceivedAdapter


class Adapter(Protocol):
    def accounts(self) -> Directory: ...
    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]: ...
    def check(self) -> str: ...
    def close(self) -> None: ...


class AdapterClass(Protocol):
    def __call__(self, *, base_url: str, api_key: str) -> Adapter: ...


ADAPTERS: dict[str, AdapterClass] = {
    "openai": openai.OpenAIAdapter,
    "anthropic": anthropic.AnthropicAdapter,
    "claude_code": claude_code.ClaudeCodeAdapter,
    "cursor": cursor.CursorAdapter,
    "litellm": litellm.LiteLLMAdapter,
    "demo": demo_adapter,
}
DEFAULT_BASE_URLS = {
    "openai": openai.DEFAULT_BASE_URL,
    "anthropic": anthropic.DEFAULT_BASE_URL,
    "claude_code": claude_code.DEFAULT_BASE_URL,
    "cursor": cursor.DEFAULT_BASE_URL,
    "copilot": copilot.DEFAULT_BASE_URL,
    "litellm": litellm.DEFAULT_BASE_URL,  # self-hosted: a connection gives its own
    "demo": "demo://openai",
    "file": "",
    "otlp": "",  # a receiver: exporters send to Tokenboard (ingest.services.receiver)
}


@dataclass(frozen=True)
class Freshness:
    """How long after a moment a provider's report is complete up to it."""

    delay: dt.timedelta | None  # None: the provider documents none
    says: str  # the reference's words, shown on the data status page
    reference: str = ""


# A day is complete once a successful pull saw the provider's report at least `delay` after
# the day ended (ingest.selectors.complete_through).
FRESHNESS = {
    # https://platform.claude.com/docs/en/manage-claude/usage-cost-api (FAQ): "Usage and cost
    # data typically appears within 5 minutes of API request completion"
    "anthropic": Freshness(
        dt.timedelta(minutes=5),
        "usage typically appears within 5 minutes",
        "https://platform.claude.com/docs/en/manage-claude/usage-cost-api",
    ),
    # https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code:
    # "only data older than 1 hour is included in responses."
    "claude_code": Freshness(
        dt.timedelta(hours=1),
        "only data older than 1 hour is reported",
        "https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code",
    ),
    # https://cursor.com/docs/account/teams/admin-api: "Data is aggregated at the hourly
    # level. We recommend polling this endpoint at most once per hour."
    "cursor": Freshness(
        dt.timedelta(hours=1),
        "data is aggregated at the hourly level",
        "https://cursor.com/docs/account/teams/admin-api",
    ),
    # OpenAI's usage API reports time buckets; no delay before a bucket is complete is
    # documented (UNCONFIRMED), so a day counts complete once a pull began after it ended.
    "openai": Freshness(
        None,
        "no reporting delay is documented",
        "https://platform.openai.com/docs/api-reference/usage",
    ),
    # LiteLLM writes its daily spend tables in batches: BerriAI/litellm proxy_server.py
    # `batch_writing_interval = proxy_batch_write_at + random.randint(0, 5)`, constants.py
    # `PROXY_BATCH_WRITE_AT = int(os.getenv("PROXY_BATCH_WRITE_AT", 10))  # in seconds`;
    # DailySpendUpdateQueue is "In memory buffer for daily spend updates that should be
    # committed to the database". Operators raise the interval (60 s is common) and a
    # Redis buffer between instances adds a flush: 5 minutes covers both.
    "litellm": Freshness(
        dt.timedelta(minutes=5),
        "daily spend is written in batches, every PROXY_BATCH_WRITE_AT seconds (10 by default)",
        "https://github.com/BerriAI/litellm/blob/main/litellm/constants.py",
    ),
    # https://docs.github.com/en/rest/copilot/copilot-usage-metrics (users-1-day): "The report
    # covers a complete day for which data has been processed." No delay after the day ends is
    # documented (UNCONFIRMED); the adapter asks only for days that have ended (UTC).
    "copilot": Freshness(
        None,
        "each daily report covers a complete day for which data has been processed",
        "https://docs.github.com/en/rest/copilot/copilot-usage-metrics",
    ),
    "demo": Freshness(dt.timedelta(0), "generated on the spot"),
    # Claude Code's monitoring page (https://code.claude.com/docs/fr/monitoring-usage, the
    # English page is not in the stored corpus): "Les intervalles d'export par défaut sont de
    # 60 secondes pour les métriques" (OTEL_METRIC_EXPORT_INTERVAL, default 60000 ms); a fold
    # is queued after each request that changed usage.
    "otlp": Freshness(
        dt.timedelta(minutes=5),
        "exporters send every minute by default; received usage is folded in at once",
        "https://code.claude.com/docs/en/monitoring-usage",
    ),
}
NO_DELAY_KNOWN = Freshness(None, "no reporting delay is documented")


class TenantAdapterClass(Protocol):
    def __call__(self, *, base_url: str, api_key: str, tenant: str) -> Adapter: ...


# Providers whose API names the organisation in the request: their adapters take the
# connection's `tenant`, and a connection to them needs one.
TENANT_ADAPTERS: dict[str, TenantAdapterClass] = {"copilot": copilot.CopilotAdapter}
# How each of them reads its tenant: ValueError, saying the expected form, if it cannot.
TENANT_FORMS: dict[str, Callable[[str], object]] = {"copilot": copilot.parse_tenant}


def adapter_for(
    *,
    provider: str,
    base_url: str,
    api_key: str,
    report_path: str = "",
    tenant: str = "",
    connection_id: int = 0,
) -> Adapter:
    """The adapter for a connection's provider (report_path: the Anthropic report to read
    without probing the analytics endpoint first, or ""; tenant: the organisation a
    TENANT_ADAPTERS provider reads; connection_id: the receiver whose kept points an otlp
    connection reads)."""
    if provider == "otlp":
        return ReceivedAdapter(connection_id=connection_id)
    if provider in TENANT_ADAPTERS:
        return TENANT_ADAPTERS[provider](base_url=base_url, api_key=api_key, tenant=tenant)
    if provider == "anthropic":
        return anthropic.AnthropicAdapter(
            base_url=base_url, api_key=api_key, report_path=report_path
        )
    return ADAPTERS[provider](base_url=base_url, api_key=api_key)


def check_connection_url(*, provider: str, base_url: str) -> None:
    """Raise ValueError unless the base URL is one a provider's key may be sent to (demo and
    file connections make no request)."""
    if (provider in ADAPTERS or provider in TENANT_ADAPTERS) and provider != "demo":
        check_base_url(base_url)
