"""The rules engine's reading half: who qualifies for a badge, computed set-based in SQL.

Each rule kind is one query over counted usage for everyone at once (grouped by person and
period); tier thresholds are then applied to the aggregated rows. Metrics come from
leaderboard.metrics, the same definitions the boards use; the SQL text lives in badges.db.
Nothing here writes: badges.services grants and revokes what qualifiers() finds.

    kinds.py       what a definition of each kind may say (validate, run by the admin)
    periods.py     the days a badge reads: calendar periods, rolling windows, all time
    qualifiers.py  Qualifier, and the tiers a row of aggregated numbers reaches
    queries.py     one query per kind over the facts (ORM) or the usage months (badges.db)
    streaks.py     the longest run of active days, from the facts or the months' bitmasks
    registry.py    which query judges each kind, from which table; qualifiers()
"""

from __future__ import annotations

from leaderboard.domain.periods import period_end, period_start

from ..db import WEEKS_TABLE, person_weeks
from .kinds import validate
from .periods import scope, settled, settles_on
from .qualifiers import Qualifier
from .queries import floor_of
from .registry import KINDS, qualifiers, reads_months

__all__ = [
    "KINDS",
    "WEEKS_TABLE",
    "Qualifier",
    "floor_of",
    "period_end",
    "period_start",
    "person_weeks",
    "qualifiers",
    "reads_months",
    "scope",
    "settled",
    "settles_on",
    "validate",
]
