"""Provider adapters: each turns one vendor's admin API into account and usage records.

An adapter has `accounts()` (the provider's users), `usage(start, end)` (one Batch per API
page), `check()` (one cheap authenticated call) and `close()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Protocol

from ingest.records import Batch, Directory

from . import anthropic, claude_code, cursor, openai
from .demo import DemoAdapter
from .http import check_base_url


class Adapter(Protocol):
    def accounts(self) -> Directory: ...
    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]: ...
    def check(self) -> str: ...
    def close(self) -> None: ...


ADAPTERS = {
    "openai": openai.OpenAIAdapter,
    "anthropic": anthropic.AnthropicAdapter,
    "claude_code": claude_code.ClaudeCodeAdapter,
    "cursor": cursor.CursorAdapter,
    "demo": DemoAdapter,
}
DEFAULT_BASE_URLS = {
    "openai": openai.DEFAULT_BASE_URL,
    "anthropic": anthropic.DEFAULT_BASE_URL,
    "claude_code": claude_code.DEFAULT_BASE_URL,
    "cursor": cursor.DEFAULT_BASE_URL,
    "demo": "demo://openai",
    "file": "",
}


def adapter_for(*, provider: str, base_url: str, api_key: str, report_path: str = "") -> Adapter:
    """The adapter for a connection's provider (report_path: the Anthropic report to read
    without probing the analytics endpoint first, or "")."""
    if provider == "anthropic":
        return anthropic.AnthropicAdapter(
            base_url=base_url, api_key=api_key, report_path=report_path
        )
    return ADAPTERS[provider](base_url=base_url, api_key=api_key)


def check_connection_url(*, provider: str, base_url: str) -> None:
    """Raise ValueError unless the base URL is one a provider's key may be sent to (demo and
    file connections make no request)."""
    if provider in ADAPTERS and provider != "demo":
        check_base_url(base_url)
