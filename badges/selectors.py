"""Reads: the titles a person holds and the one they display, a person's badges and new
ones, the icons of a standings page, and a badge's preview (querysets or frozen dataclasses)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from leaderboard.domain.json_values import JSON
from leaderboard.models import Person
from leaderboard.selectors.ledger import LedgerEntry

from . import rules
from .models import TIERS, Award, Badge, DisplayedTitle, Progress
from .rules.queries import facts


@dataclass(frozen=True)
class HeldTitle:
    badge: Badge
    tier: str
    award: Award


def titles_held(person: Person) -> list[HeldTitle]:
    """Titles from badges the person holds now, newest first, then highest tier."""
    awards = (
        Award.objects.filter(person=person, revoked_at__isnull=True)
        .exclude(badge__title="")
        .select_related("badge")
    )
    best: dict[int, Award] = {}
    for award in awards:
        current = best.get(award.badge_id)
        if current is None or (award.granted_at, TIERS.index(award.tier)) > (
            current.granted_at,
            TIERS.index(current.tier),
        ):
            best[award.badge_id] = award
    ordered = sorted(best.values(), key=lambda a: (a.granted_at, TIERS.index(a.tier)), reverse=True)
    return [HeldTitle(a.badge, a.tier, a) for a in ordered]


def displayed_title(person: Person, held: list[HeldTitle] | None = None) -> str:
    """The chosen title if still held; otherwise the newest, highest-tier one; or ''.
    (held: the person's titles_held, when the caller has read them already.)"""
    held = titles_held(person) if held is None else held
    choice = DisplayedTitle.objects.filter(person=person).select_related("badge").first()
    if choice is not None:
        if choice.badge is None:
            return ""
        for title in held:
            if title.badge == choice.badge:
                return title.badge.title
    return held[0].badge.title if held else ""


# Badges measured in money: a viewer who may not see cost sees neither them nor their evidence.
COST_METRICS = frozenset({"cost", "cost_per_1k_output"})


def measures_cost(badge: Badge) -> bool:
    params = badge.params if isinstance(badge.params, dict) else {}
    return params.get("metric") in COST_METRICS


@dataclass(frozen=True)
class Summary:
    """What a standings row shows of a person's badges: their title and badge icons."""

    title: str
    icons: list[tuple[str, str, str]]  # (icon, name, tier), best tier per badge


def summaries(person_ids: list[int], *, show_cost: bool = True) -> dict[int, Summary]:
    """Titles and badge icons for many people in a constant number of queries (a page of
    standings can hold thousands of awards: they are read as tuples, not model instances);
    without the badges measured in money unless show_cost."""
    held_now = Award.objects.filter(person__in=person_ids, revoked_at__isnull=True)
    if not show_cost:
        held_now = held_now.exclude(badge__params__metric__in=list(COST_METRICS))
    awards = held_now.order_by("granted_at").values_list(
        "person_id", "badge_id", "tier", "granted_at"
    )
    chosen = dict(
        DisplayedTitle.objects.filter(person__in=person_ids).values_list("person_id", "badge_id")
    )
    # Per person and badge, the latest award (the best tier among the latest).
    best: dict[int, dict[int, tuple[dt.datetime, int, str]]] = {}
    for person_id, badge_id, tier, granted_at in awards:
        held = best.setdefault(person_id, {})
        rank = (granted_at, TIERS.index(tier), tier)
        if badge_id not in held or rank[:2] >= held[badge_id][:2]:
            held[badge_id] = rank
    badges = Badge.objects.in_bulk({b for held in best.values() for b in held})
    result = {}
    for person_id in person_ids:
        held = best.get(person_id, {})
        titled = sorted(
            (b for b in held if badges[b].title), key=lambda b: held[b][:2], reverse=True
        )
        default = badges[titled[0]].title if titled else ""
        if person_id not in chosen:
            title = default
        elif chosen[person_id] is None:
            title = ""  # the person chose to display none
        else:
            choice = badges.get(chosen[person_id]) if chosen[person_id] in held else None
            title = choice.title if choice and choice.title else default
        icons = [
            (badges[b].icon, badges[b].name, held[b][2])
            for b in sorted(held, key=lambda b: (-held[b][1], badges[b].name))
        ]
        result[person_id] = Summary(title, icons)
    return result


@dataclass(frozen=True)
class HeldBadge:
    """One badge of a person's: its latest award (the best tier of the latest period) and
    the others (a weekly badge held all year is one entry, not 52)."""

    badge: Badge
    latest: Award
    others: list[Award]
    periods: int


@dataclass(frozen=True)
class BadgeGroup:
    name: str
    badges: list[HeldBadge]


def badge_groups(person: Person, *, show_cost: bool = True) -> list[BadgeGroup]:
    """A person's awards (current and past), by badge, grouped as the catalogue groups them
    (without the badges measured in money unless show_cost)."""
    awards = Award.objects.filter(person=person).select_related("badge")
    if not show_cost:
        awards = awards.exclude(badge__params__metric__in=list(COST_METRICS))
    by_badge: dict[int, list[Award]] = {}
    for award in awards:
        by_badge.setdefault(award.badge_id, []).append(award)
    held = []
    for items in by_badge.values():
        items.sort(key=lambda a: (a.period_start, TIERS.index(a.tier)), reverse=True)
        periods = len({(a.period_start, a.period_end) for a in items})
        held.append(HeldBadge(items[0].badge, items[0], items[1:], periods))
    held.sort(key=lambda h: (h.badge.group, h.badge.name, h.badge.pk))
    groups: dict[str, list[HeldBadge]] = {}
    for item in held:
        groups.setdefault(item.badge.group, []).append(item)
    return [BadgeGroup(name, items) for name, items in groups.items()]


def progress(person: Person) -> QuerySet[Progress]:
    """The tiers a person has reached so far in periods not yet settled (not awards yet)."""
    return (
        Progress.objects.filter(person=person, badge__enabled=True, badge__retired=False)
        .select_related("badge")
        .order_by("settles_on", "badge__name")
    )


def new_awards(person: Person) -> QuerySet[Award]:
    """Awards the person has not been told about yet (quiet ones never are)."""
    return Award.objects.filter(
        person=person, noticed_at__isnull=True, quiet=False, revoked_at__isnull=True
    ).select_related("badge")


@dataclass(frozen=True)
class Notice:
    """One badge in the "new badges" notice: its best new tier, and how many of its periods
    brought it (a badge won over three weeks is one line, not three)."""

    badge: Badge
    tier: str
    periods: int

    @property
    def tier_label(self) -> str:
        return self.tier.title()


def notices_by_badge(awards: Iterable[Award]) -> list[Notice]:
    """New awards as one notice per badge, in first-seen order."""
    grouped: dict[int, list[Award]] = {}
    for award in awards:
        grouped.setdefault(award.badge_id, []).append(award)
    return [
        Notice(
            badge=found[0].badge,
            tier=max((a.tier for a in found), key=TIERS.index),
            periods=len(found),
        )
        for found in grouped.values()
    ]


@dataclass(frozen=True)
class Preview:
    people: int
    by_tier: dict[str, int]
    sample: list[str]


def badge_preview(*, badge: Badge, now: dt.datetime | None = None, sample: int = 10) -> Preview:
    """Who would hold the badge if it were enabled now (the rules run; nothing is granted)."""
    now = now or timezone.now()
    found = rules.qualifiers(badge, today=now.date())
    if badge.policy == Badge.Policy.HOLDER and found:
        latest = max(q.period_start for q in found)
        found = [q for q in found if q.period_start == latest]
    people = {q.person_id for q in found}
    by_tier = Counter(q.tier for q in {(q.person_id, q.tier): q for q in found}.values())
    names = list(
        Person.objects.filter(pk__in=people)
        .order_by("display_name")
        .values_list("display_name", flat=True)[:sample]
    )
    return Preview(len(people), {t: by_tier[t] for t in TIERS if t in by_tier}, names)


def award_ledger(person: Person, *, show_cost: bool = True) -> list[LedgerEntry]:
    """A person's badge grants and revocations (with the revocation's reason), newest first,
    as entries of their ledger (without the badges measured in money unless show_cost)."""
    entries = []
    awards = Award.objects.filter(person=person).select_related("badge")
    if not show_cost:
        awards = awards.exclude(badge__params__metric__in=list(COST_METRICS))
    for award in awards:
        tier, name = award.get_tier_display(), award.badge.name
        earned = ", ".join(f"{key}: {value}" for key, value in award.evidence.items())
        # one entry per tier reached (one award holds them all); the award's own tier last
        reached = award.tier_history or [(award.tier, award.granted_at.isoformat())]
        for reached_tier, when in reached:
            entries.append(
                LedgerEntry(
                    dt.datetime.fromisoformat(when),
                    "badge",
                    f"Awarded {name} ({reached_tier.title()}) for {award.period_label}",
                    f"Earned: {earned}"
                    if earned and reached_tier == award.tier
                    else "Earned by its rule",
                )
            )
        if award.revoked_at is not None:
            entries.append(
                LedgerEntry(
                    award.revoked_at,
                    "badge",
                    f"{name} ({tier}) for {award.period_label} was revoked",
                    award.revoked_reason or "Revoked",
                )
            )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


GOLD_OR_BETTER = TIERS[TIERS.index("gold") :]
ACTIVE_DAYS = 30  # a badge without calendar periods is measured against the last 30 days


@dataclass(frozen=True)
class Rarity:
    """Of the active people (counted usage in the badge's latest awarded period, or in the
    last ACTIVE_DAYS days), how many hold the badge, and at gold or better."""

    active: int
    holders: int
    gold: int
    period: str

    @property
    def share(self) -> float | None:
        return self.holders / self.active if self.active else None

    @property
    def gold_share(self) -> float | None:
        return self.gold / self.active if self.active else None


@dataclass(frozen=True)
class CatalogueEntry:
    badge: Badge
    tiers: list[tuple[str, JSON]]  # (tier label, threshold), lowest first
    rarity: Rarity
    floor: Decimal | None = None  # its efficiency floor: output tokens per input-side token


def catalogue(*, today: dt.date | None = None) -> list[CatalogueEntry]:
    """Every enabled badge (not retired) in words, with its rarity."""
    today = today or timezone.localdate()
    recent = (today - dt.timedelta(days=ACTIVE_DAYS - 1), today)
    active_by_window: dict[tuple[dt.date, dt.date], set[int]] = {}

    def active(window: tuple[dt.date, dt.date]) -> set[int]:
        if window not in active_by_window:
            people = facts(window).values_list("account__person", flat=True).distinct()
            active_by_window[window] = set(people)  # counted facts all have a person
        return active_by_window[window]

    entries = []
    for badge in Badge.objects.filter(enabled=True, retired=False):
        awards = Award.objects.filter(badge=badge, revoked_at__isnull=True)
        latest = awards.order_by("-period_end", "-period_start").first()
        if badge.periodic and latest is not None:
            window = (latest.period_start, latest.period_end)
            awards, period = (
                awards.filter(period_start=window[0], period_end=window[1]),
                (latest.period_label),
            )
        else:
            window, period = recent, f"the last {ACTIVE_DAYS} days"
        people = active(window)
        held = {(pk, tier) for pk, tier in awards.values_list("person", "tier") if pk in people}
        rarity = Rarity(
            active=len(people),
            holders=len({pk for pk, _ in held}),
            gold=len({pk for pk, tier in held if tier in GOLD_OR_BETTER}),
            period=period,
        )
        tiers = sorted(
            badge.tiers.items(),
            key=lambda item: TIERS.index(item[0]) if item[0] in TIERS else len(TIERS),
        )
        entries.append(
            CatalogueEntry(badge, [(t.title(), v) for t, v in tiers], rarity, rules.floor_of(badge))
        )
    return entries
