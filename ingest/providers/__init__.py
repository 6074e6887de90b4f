"""Provider adapters: each turns one vendor's admin API into account and usage records.

An adapter has `provider` (the namespace of its account ids), `accounts()`,
`usage_pages(start, end)` (one list of records per API page; a (day, account, model) key
never spans two pages) and `close()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Protocol

from leaderboard.records import AccountRecord, UsageRecord

from .demo import DemoAdapter
from .openai import DEFAULT_BASE_URL as OPENAI_BASE_URL
from .openai import OpenAIAdapter


class Adapter(Protocol):
    provider: str

    def accounts(self) -> Iterator[AccountRecord]: ...
    def usage_pages(self, start: dt.date, end: dt.date) -> Iterator[list[UsageRecord]]: ...
    def close(self) -> None: ...


ADAPTERS = {"openai": OpenAIAdapter, "demo": DemoAdapter}
DEFAULT_BASE_URLS = {"openai": OPENAI_BASE_URL, "demo": "demo://openai"}


def adapter_for(*, provider: str, base_url: str, api_key: str) -> Adapter:
    """The adapter for a connection's provider."""
    return ADAPTERS[provider](base_url=base_url, api_key=api_key)
