"""A ranked row as pages show it, made from a stored place. Pure: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leaderboard.domain.periods import Lens
from leaderboard.models import Place

COST_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Row:
    rank: int
    person_id: int
    name: str
    team_id: int | None
    team: str
    user_id: int | None
    value: Any
    total_tokens: int
    cost: Decimal | None
    cost_estimated: bool
    position: int = 0  # 1-based place in the whole ranking (ties broken by name)
    public_id: str = ""  # the person's, for their URL


def row_of(place: Place, lens: str) -> Row:
    value: Any = place.value
    if value is not None:
        if lens == Lens.CACHE_READ_SHARE:
            value = float(value)
        elif lens == Lens.COST:
            value = value.quantize(COST_PLACES)
        else:
            value = int(value)
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
