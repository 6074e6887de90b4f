"""The rules engine's writing half: grant, revoke and restore awards; titles."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from leaderboard.db.counters import analyze
from leaderboard.models import Person, User
from leaderboard.services import audit

from . import db, rules
from .models import TIERS, Award, Badge, DisplayedTitle, Progress

QUIET_AFTER = dt.timedelta(days=2)
PASSED_ON = "passed on: a later period has another holder"
NO_LONGER = "the condition no longer holds"


class TitleError(Exception):
    """A person cannot display that title."""


@dataclass
class Outcome:
    """What an evaluation did (or, in a dry run, would do)."""

    granted: list[rules.Qualifier] = field(default_factory=list)
    revoked: list[Award] = field(default_factory=list)
    restored: list[Award] = field(default_factory=list)
    # awards whose tier changed: a higher one reached (or, for a live badge, a lower one)
    retiered: list[Award] = field(default_factory=list)

    def __iadd__(self, other: Outcome) -> Outcome:
        self.granted += other.granted
        self.revoked += other.revoked
        self.restored += other.restored
        self.retiered += other.retiered
        return self

    @property
    def written(self) -> int:
        return len(self.granted) + len(self.revoked) + len(self.restored) + len(self.retiered)


HELD = [
    "pk",
    "person_id",
    "tier",
    "period_start",
    "period_end",
    "granted_at",
    "tiers_reached",
    "quiet",
    "noticed_at",
    "revoked_at",
]
# An award as read: HELD's columns.
type Held = tuple[
    int,
    int,
    str,
    dt.date,
    dt.date,
    dt.datetime,
    dict[str, str],
    bool,
    dt.datetime | None,
    dt.datetime | None,
]
# Who holds what for which period: one award each, at its highest tier (see _key).
type AwardKey = tuple[int, dt.date, dt.date] | tuple[int]


def _key(badge: Badge, person_id: int, start: dt.date, end: dt.date) -> AwardKey:
    # Periodic badges award each period; the others hold one ongoing award.
    return (person_id, start, end) if badge.periodic else (person_id,)


def _rank(tier: str) -> int:
    return TIERS.index(tier)


def evaluate_badge(
    *,
    badge: Badge,
    changed: tuple[dt.date, dt.date] | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Bring one badge's awards in line with the facts for the periods in scope."""
    now = now or timezone.now()
    if not badge.enabled or badge.retired:
        return Outcome()
    with collector_paused():
        return _evaluate(badge, changed=changed, now=now, dry_run=dry_run)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (as it was, after). A full pass builds
    millions of small objects (qualifiers, evidence, award keys), none in a reference cycle,
    and the collector's repeated sweeps over them took 30% of a badge's time at full scale.
    Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _evaluate(
    badge: Badge, *, changed: tuple[dt.date, dt.date] | None, now: dt.datetime, dry_run: bool
) -> Outcome:
    if badge.policy == Badge.Policy.HOLDER:
        changed = None  # who holds it now depends on every period
    today = now.date()
    # A period is awarded once its data has settled; until then it is progress, not an award
    # (and an award of such a period from before this rule is left as it is).
    qualifiers: list[rules.Qualifier] = []
    pending: list[rules.Qualifier] = []
    for q in rules.qualifiers(badge, today=today, changed=changed):
        (qualifiers if rules.settled(badge, q.period_end, today) else pending).append(q)
    # Per person and period: the highest tier reached, and every tier reached.
    found: dict[AwardKey, rules.Qualifier] = {}
    reached: dict[AwardKey, list[str]] = {}
    for q in qualifiers:
        key = _key(badge, q.person_id, q.period_start, q.period_end)
        reached.setdefault(key, []).append(q.tier)
        if key not in found or _rank(q.tier) > _rank(found[key].tier):
            found[key] = q
    window = rules.scope(badge, today=today, changed=changed)
    existing_awards = Award.objects.filter(badge=badge).order_by("granted_at")
    if badge.periodic and window:
        existing_awards = existing_awards.filter(period_start__range=window)
    # Read as tuples: a badge can hold millions of awards, and few of them change.
    existing: dict[AwardKey, Held] = {}
    for row in existing_awards.values_list(*HELD).iterator(chunk_size=20_000):
        if not rules.settled(badge, row[4], today):
            continue
        existing[_key(badge, row[1], row[3], row[4])] = row
    latest = max((q.period_start for q in found.values()), default=None)

    def holds(q: rules.Qualifier) -> bool:
        return badge.policy != Badge.Policy.HOLDER or q.period_start == latest

    def award(row: Held, reason: str = "") -> Award:
        fields = dict(zip(HELD, row, strict=True))
        return Award(**fields, badge=badge, revoked_reason=reason or "")

    outcome = Outcome()
    for key, q in found.items():
        row = existing.get(key)
        if row is None:
            outcome.granted.append(replace(q, reached=tuple(sorted(reached[key], key=_rank))))
            continue
        higher = _rank(q.tier) > _rank(row[2])
        if higher or (badge.policy == Badge.Policy.LIVE and _rank(q.tier) < _rank(row[2])):
            retiered = award(row)
            retiered.tier, retiered.evidence = q.tier, q.evidence
            if higher:  # each newly reached tier is dated now; the holder is told again
                new = {t: now.isoformat() for t in reached[key] if t not in row[6]}
                retiered.tiers_reached = {**row[6], **new}
                retiered.noticed_at, retiered.quiet = None, _quiet(badge, q, now)
            outcome.retiered.append(retiered)
        if row[-1] is not None and holds(q) and badge.policy != Badge.Policy.PERMANENT:
            outcome.restored.append(award(row))
        elif row[-1] is None and not holds(q):
            outcome.revoked.append(award(row, PASSED_ON))
    if badge.policy != Badge.Policy.PERMANENT:
        reason = NO_LONGER if badge.policy == Badge.Policy.LIVE else PASSED_ON
        for key, row in existing.items():
            if row[-1] is None and key not in found:
                outcome.revoked.append(award(row, reason))
    if not dry_run:
        _apply(badge, outcome, now, holds)
        if badge.periodic:
            _record_progress(badge, pending, window, now)
    return outcome


def _record_progress(
    badge: Badge,
    pending: list[rules.Qualifier],
    window: tuple[dt.date, dt.date] | None,
    now: dt.datetime,
) -> None:
    """Replace the badge's progress rows in the window (and drop those of settled periods)
    with the highest tier each person has reached so far in each unsettled period."""
    best: dict[tuple[int, dt.date, dt.date], rules.Qualifier] = {}
    for q in pending:
        key = (q.person_id, q.period_start, q.period_end)
        if key not in best or TIERS.index(q.tier) > TIERS.index(best[key].tier):
            best[key] = q
    with transaction.atomic():
        stale = Progress.objects.filter(badge=badge)
        if window:
            stale = stale.filter(Q(period_start__range=window) | Q(settles_on__lte=now.date()))
        stale.delete()
        Progress.objects.bulk_create(
            Progress(
                person_id=q.person_id,
                badge=badge,
                tier=q.tier,
                period_start=q.period_start,
                period_end=q.period_end,
                settles_on=rules.settles_on(q.period_end),
                evidence=q.evidence,
                updated_at=now,
            )
            for q in best.values()
        )


def _quiet(badge: Badge, q: rules.Qualifier, now: dt.datetime) -> bool:
    """No "new badge" notice for usage long past: a period's award comes when the period
    settles, so for it, when it settled."""
    seen = q.last_day
    if badge.periodic:
        seen = max(seen, rules.settles_on(q.period_end) - dt.timedelta(days=1))
    return seen < now.date() - QUIET_AFTER


def _apply(
    badge: Badge, outcome: Outcome, now: dt.datetime, holds: Callable[[rules.Qualifier], bool]
) -> None:
    def granted(q: rules.Qualifier) -> db.GrantedRow:
        held = holds(q)
        return (
            q.person_id,
            badge.pk,
            q.tier,
            {t: now.isoformat() for t in q.reached or (q.tier,)},
            q.period_start,
            q.period_end,
            now,
            q.evidence,
            _quiet(badge, q, now),
            None if held else now,
            "" if held else PASSED_ON,
        )

    with transaction.atomic():
        db.insert_awards(granted(q) for q in outcome.granted)
        for award in outcome.revoked:
            award.revoked_at = now
        for award in outcome.restored:
            award.revoked_at, award.revoked_reason = None, ""
        Award.objects.bulk_update(
            [*outcome.revoked, *outcome.restored], ["revoked_at", "revoked_reason"], batch_size=1000
        )
        Award.objects.bulk_update(
            outcome.retiered,
            ["tier", "tiers_reached", "evidence", "quiet", "noticed_at"],
            batch_size=1000,
        )
        if outcome.revoked:
            _clear_lost_titles(badge)


def _clear_lost_titles(badge: Badge) -> None:
    """A title goes when the last award behind it is revoked."""
    still_held = Award.objects.filter(
        badge=badge, person=OuterRef("person"), revoked_at__isnull=True
    )
    DisplayedTitle.objects.filter(badge=badge).exclude(Exists(still_held)).delete()


def evaluate_all(
    *,
    changed: tuple[dt.date, dt.date] | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Evaluate every enabled, unretired badge (over all history when changed is None)."""
    outcome = Outcome()
    badges = list(Badge.objects.filter(enabled=True, retired=False))
    weekly = changed is None and sum(b.period == Badge.Period.WEEK for b in badges) > 1
    with rules.person_weeks() if weekly else nullcontext(), collector_paused():
        for badge in badges:
            outcome += evaluate_badge(badge=badge, changed=changed, now=now, dry_run=dry_run)
    if not dry_run and outcome.written >= ANALYZE_FROM:
        analyze_awards()
    return outcome


ANALYZE_FROM = 1_000  # awards written by one evaluation


def analyze_awards() -> None:
    """Refresh the planner's statistics of the awards after a large write. Autovacuum may be
    off or late, and pages read awards for 50 people at a time: on statistics taken before a
    first full pass (millions of awards), that lookup took 250 ms instead of 1."""
    analyze(Award)


def choose_title(*, person: Person, badge: Badge | None) -> DisplayedTitle:
    """Display the title of a badge the person holds (None: display no title)."""
    if badge is not None:
        if not badge.title:
            raise TitleError(f"{badge.name} carries no title.")
        if not badge.awards.filter(person=person, revoked_at__isnull=True).exists():
            raise TitleError(f"{person} does not hold {badge.name}.")
    choice, _ = DisplayedTitle.objects.update_or_create(person=person, defaults={"badge": badge})
    return choice


def mark_noticed(
    *, person: Person, award_ids: Iterable[int], now: dt.datetime | None = None
) -> int:
    """The holder has seen the "new badge" notice for these awards of theirs (ids of others'
    awards, and notices seen before, are left as they are); how many were marked."""
    return Award.objects.filter(
        person=person, pk__in=list(award_ids), noticed_at__isnull=True
    ).update(noticed_at=now or timezone.now())


def set_retired(*, badge: Badge, retired: bool, by: User | None) -> Badge:
    """Retire a badge (no longer earned; its awards stay visible), or bring it back."""
    with transaction.atomic():
        badge.retired = retired
        badge.save(update_fields=["retired", "updated_at"])
        audit.record(
            actor=by, action="badge retired" if retired else "badge un-retired", target=badge
        )
    return badge
