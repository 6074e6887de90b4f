"""What a provider adapter hands to the core: plain records, no ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

# The most of any count (tokens of one kind, or requests) that one fact (one account, model
# and UTC day) may carry; every ingest path rejects a row above it. The heaviest users known
# average about 3e11 tokens a day in all, so this is generous, and it keeps every sum far
# from overflowing: a 64-bit month total (PostgreSQL's usage months, SQLite's SUM) holds
# 9.2e18, more than 200,000 facts of one person at the bound in all four counts.
MAX_COUNT = 10**13

# The account id that collects a provider's usage no person can be named for.
UNATTRIBUTED = ""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A provider identity as the provider's directory describes it."""

    external_id: str
    email: str = ""
    name: str = ""
    kind: str = "user"


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One account's usage of one model on one UTC day (counts are disjoint)."""

    day: dt.date
    account: str
    model: str
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    requests: int = 0
    cost: Decimal | None = None  # as reported by the provider, in USD
    # What the account is, should it be new: "user" or "api_key" (a key or service account).
    account_kind: str = "user"
    # The account's e-mail when the usage row itself carries one (Claude Code, Cursor, files).
    email: str = ""
    # The provider of another kind of source that may report this same usage again (e.g.
    # "claude_code" for Claude Code usage in Anthropic's Messages or analytics report); the
    # pull counts it only where no such source has the person that day (ingest.overlap).
    overlap: str = ""
