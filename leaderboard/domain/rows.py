"""A ranked row as pages show it, made from a stored place. Pure: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from leaderboard.domain.periods import Lens
from leaderboard.models import Place

COST_PLACES = Decimal("0.000001")
SCORE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Row:
    rank: int
    person_id: int
    name: str
    team_id: int | None
    team: str
    user_id: int | None
    value: int | float | Decimal | None  # per the lens: a count, a share, a cost (None: n/a)
    total_tokens: int
    cost: Decimal | None
    cost_estimated: bool
    position: int = 0  # 1-based place in the whole ranking (ties broken by name)
    public_id: str = ""  # the person's, for their URL


def row_of(place: Place, lens: str) -> Row:
    stored = place.value
    value: int | float | Decimal | None = None
    if stored is not None:
        if lens == Lens.CACHE_READ_SHARE:
            value = float(stored)
        elif lens == Lens.COST:
            value = stored.quantize(COST_PLACES)
        elif lens == Lens.SCORE:
            value = stored.quantize(SCORE_PLACES)
        else:
            value = int(stored)
    return Row(
        place.rank,
        place.person_id,
        place.name,
        place.team_id,
        place.team,
        place.user_id,
        value,
        int(place.total_tokens),
        place.cost,
        place.cost_estimated,
        place.position,
        place.public_id,
    )


@dataclass(frozen=True)
class Day:
    day: dt.date
    key: str  # the source or model
    tokens: int
    cost: Decimal | None
    cache_read: int
    input_side: int


class SnapshotRow(TypedDict):
    """A row of a retired board's final standings, as its snapshot stores it (JSON)."""

    rank: int
    person_id: int
    name: str
    team: str
    value: str | None  # the row's value as a decimal string


def band(rank: int, count: int) -> str:
    """A place past a top-only board's top as others see it: the decile it falls in
    ("top 40%"), never the rank."""
    tenths = -(-10 * rank // max(count, 1))  # ceiling: rank 1 of 10 is the top 10%
    return f"top {min(max(tenths, 1), 10) * 10}%"
