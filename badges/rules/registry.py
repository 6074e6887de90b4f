"""Which query judges each kind of rule, whether it may read the usage months instead of
the facts, and qualifiers(), the one entry point the services call."""

from __future__ import annotations

import datetime as dt

from .. import db
from ..models import Badge
from .periods import Days, scope
from .qualifiers import Qualifier
from .queries import Rule, efficient_people, first, rank, ratio, threshold
from .streaks import streak

K, P = Badge.Kind, Badge.Period
KINDS: dict[str, Rule] = {
    K.THRESHOLD: threshold,
    K.BREADTH: threshold,
    K.RATIO: ratio,
    K.RANK: rank,
    K.STREAK: streak,
    K.FIRST: first,
}


def reads_months(badge: Badge, window: Days) -> bool:
    """Whether this badge, over this window, can be judged from usage months (or, for a
    weekly badge inside person_weeks(), from the week rollup)."""
    if badge.period == P.WEEK and db.weeks_rolled_up():
        return badge.kind in {K.THRESHOLD, K.RATIO, K.RANK}
    if not db.keeps_months() or badge.period not in {P.MONTH, P.ALL_TIME}:
        return False
    if window and (window[0].day != 1 or (window[1] + dt.timedelta(days=1)).day != 1):
        return False
    if badge.kind == K.BREADTH:
        return badge.params.get("of") == "sources" and badge.period == P.MONTH
    return badge.kind != K.STREAK or window is None


def qualifiers(
    badge: Badge,
    *,
    today: dt.date,
    changed: tuple[dt.date, dt.date] | None = None,
    from_facts: bool = False,
) -> list[Qualifier]:
    """Everyone who meets each tier of the badge now, over the days in scope (from usage
    months where the badge allows; from_facts forces the facts, as tests compare)."""
    window = scope(badge, today=today, changed=changed)
    months = not from_facts and reads_months(badge, window)
    found = KINDS[badge.kind](badge, window, today, months)
    if badge.kind in {K.STREAK, K.FIRST}:
        # judged per day, not per period: the floor holds over the days the badge reads
        over_months = not from_facts and db.keeps_months() and window is None
        efficient = efficient_people(badge, window, over_months)
        if efficient is not None:
            found = [q for q in found if q.person_id in efficient]
    return found
