"""Reads: the titles a person holds and the one they display."""

from __future__ import annotations

from dataclasses import dataclass

from leaderboard.models import Person

from .models import TIERS, Award, Badge, DisplayedTitle


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


def displayed_title(person: Person) -> str:
    """The chosen title if still held; otherwise the newest, highest-tier one; or ''."""
    held = titles_held(person)
    choice = DisplayedTitle.objects.filter(person=person).select_related("badge").first()
    if choice is not None:
        if choice.badge is None:
            return ""
        for title in held:
            if title.badge == choice.badge:
                return title.badge.title
    return held[0].badge.title if held else ""
