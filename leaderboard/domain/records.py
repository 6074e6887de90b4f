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

# Model names adapters record where the provider names no model: "unknown", or the product
# (GitHub Copilot's IDE and CLI use, reported per user without a model). They are kept as
# they are, but count as no model where distinct models are counted (a badge for breadth).
NOT_MODELS = frozenset({"unknown", "copilot", "copilot-cli"})


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A provider identity as the provider's directory describes it."""

    external_id: str
    email: str = ""
    name: str = ""
    # "user", "api_key" (a key known to act as no one in particular) or "agent" (a service
    # account or a key acting as one: never credited to a person).
    kind: str = "user"
    # An agent's (or an unbound key's) creator or owner, when the provider names one.
    owner_email: str = ""


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
    # What the account is, should it be new: "user", "api_key" or "agent" (AccountRecord.kind);
    # a row that says "agent" turns an existing account into one.
    account_kind: str = "user"
    # The account's e-mail when the usage row itself carries one (Claude Code, Cursor, files).
    email: str = ""
    # An agent's creator or owner, when the row's provider names one.
    owner_email: str = ""
    # What pricing needs to know, where the provider reports it (leaderboard.pricing). None of
    # it is stored: the fact keeps the total cache_write and the cost it gives.
    cache_write_1h: int = 0  # the part of cache_write that was 1-hour writes
    service_tier: str = ""  # "standard", "batch", "priority", "flex"; "": not reported
    # Every prompt in the record was longer than this many tokens (Anthropic's context_window
    # "200k-1M": 200_000); 0: not reported.
    prompt_over: int = 0
    inference_geo: str = ""  # "us": regional inference; "", "global", "not_available": not
    # The provider of another kind of source that may report this same usage again (e.g.
    # "claude_code" for Claude Code usage in Anthropic's Messages or analytics report); the
    # pull counts it only where no such source has the person that day (ingest.overlap).
    overlap: str = ""
