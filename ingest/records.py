"""What adapters hand to the pull service: a batch of usage records and the rows they refused."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from leaderboard.domain.records import AccountRecord, UsageRecord

MAX_RAW = 64_000  # characters of a refused payload kept for review


def storable(text: str) -> str:
    """Text as a database can keep it: a NUL character, which no PostgreSQL text column may
    hold and a damaged payload may carry, is written as the escape \\x00 (applied where
    rejected rows and runs are stored)."""
    return text.replace("\x00", "\\x00")


def raw_text(payload: object) -> str:
    """A refused payload as text for review, whatever its type."""
    if isinstance(payload, bytes | bytearray):
        text = payload.decode("utf-8", errors="replace")
    elif isinstance(payload, str):
        text = payload
    else:
        text = json.dumps(payload, default=str, sort_keys=True)
    return text[:MAX_RAW]


@dataclass(frozen=True)
class Rejection:
    """A row that could not be read: where it was, why, and the row itself."""

    location: str
    reason: str
    raw: str


@dataclass
class Batch:
    """One API page (or one file chunk): records to record, rows to quarantine.

    A (day, account, model) key never spans two batches of one pull; adapters that must
    sum across pages yield empty batches for progress and the sums at the end.
    """

    records: list[UsageRecord] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass
class Directory:
    """A provider's people (its users list), and the entries that could not be read."""

    accounts: list[AccountRecord] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
