"""What a provider adapter hands to the core: plain records, no ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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
