"""Badge fragments for the leaderboard's pages (the leaderboard app never imports badges)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from django import template

from leaderboard.models import Person
from leaderboard.selectors.ledger import LedgerEntry
from leaderboard.templatetags.tokenboard import tokens, usd

from .. import models, selectors
from ..checks import COUNTER

register = template.Library()


class PersonRow(Protocol):
    """A row of a standings page, as far as badges read it."""

    @property
    def person_id(self) -> int: ...


@register.simple_tag(takes_context=True)
def badge_summaries(
    context: template.Context, rows: Iterable[PersonRow]
) -> dict[int, selectors.Summary]:
    """{person_id: Summary} for the people of a standings page (the page's cache keys hold
    show_cost)."""
    show_cost = bool(context.get("show_cost"))
    return selectors.summaries([row.person_id for row in rows], show_cost=show_cost)


@register.simple_tag(takes_context=True)
def badges_version(context: template.Context) -> int:
    """Moves whenever what a standings row shows of badges changes (for cache keys): as the
    page's site read it (settings.SITE_COUNTERS names it; badges.checks), else read now."""
    site = context.get("site")
    if site is not None and COUNTER in site.counters:
        version: int = site.counters[COUNTER]
        return version
    return models.current_version()


@register.inclusion_tag("badges/_person_badges.html", takes_context=True)
def person_badges(context: template.Context, person: Person) -> dict[str, object]:
    """A person's badges grouped, their title (the owner may change it), and, for the owner,
    the "new badge" notice. Rendering only reads: the notice posts back that it was shown
    (badges.views.notices_seen), so a GET never writes and each new badge still shows once."""
    request = context["request"]
    is_owner = getattr(request.user, "pk", None) is not None and person.user_id == request.user.pk
    show_cost, measures = bool(context.get("show_cost")), selectors.measures_cost
    notices = list(selectors.new_awards(person)) if is_owner else []
    # A badge measured in money stays unnoticed until its owner may see cost.
    notices = [a for a in notices if show_cost or not measures(a.badge)]
    titles = [t for t in selectors.titles_held(person) if show_cost or not measures(t.badge)]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "person": person,
        "is_owner": is_owner,
        "groups": selectors.badge_groups(person, show_cost=show_cost),
        "titles": titles,
        "title": selectors.displayed_title(person, titles),
        "notices": notices,
        "notice_badges": selectors.notices_by_badge(notices),
        "progress": list(selectors.progress(person)) if is_owner else [],
    }


@register.simple_tag(takes_context=True)
def with_badge_entries(
    context: template.Context, ledger: list[LedgerEntry], person: Person
) -> list[LedgerEntry]:
    """The owner's ledger (the leaderboard's entries) with their badge grants and
    revocations added, newest first."""
    show_cost = bool(context.get("show_cost"))
    entries = [*ledger, *selectors.award_ledger(person, show_cost=show_cost)]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


@register.inclusion_tag("badges/_catalogue.html", takes_context=True)
def badge_catalogue(context: template.Context) -> dict[str, object]:
    """Every enabled badge in words, with its rarity (for the "how the numbers work" page);
    the badges measured in money only for who may see cost."""
    entries = selectors.catalogue()
    if not context.get("show_cost"):
        entries = [e for e in entries if not selectors.measures_cost(e.badge)]
    return {"entries": entries, "active_days": selectors.ACTIVE_DAYS}


# How a badge's evidence reads: each known key's words, and how its value is written.
EVIDENCE = {  # in the order they read (the database keeps no key order)
    "cache_read_share": ("cache-read share", "share"),
    "output_per_input": ("output per input-side token", "ratio"),
    "cost_per_1k_output": ("per 1,000 output tokens", "usd_fine"),
    "rank": ("rank", "rank"),
    "streak_days": ("days in a row", "count"),
    "total_tokens": ("total tokens", "tokens"),
    "cache_read": ("cache reads", "tokens"),
    "cache_write": ("cache writes", "tokens"),
    "input_side": ("input-side tokens", "tokens"),
    "input": ("input tokens", "tokens"),
    "output": ("output tokens", "tokens"),
    "requests": ("requests", "count"),
    "cost": ("cost", "usd"),
    "active_days": ("active days", "count"),
    "models": ("models", "count"),
    "sources": ("sources", "count"),
    "first_day": ("first day", "text"),
}
ORDER = {key: n for n, key in enumerate(EVIDENCE)}


@register.filter
def evidence_text(evidence: dict[str, object] | None) -> str:
    """A badge's evidence in words ("61.2% cache-read share · 8.4M cache reads"), where it
    was a raw dump of keys; a streak reads "19 days in a row, 2026-10-26 to 2026-11-13"."""
    if not evidence:
        return ""
    parts = []
    for key, value in sorted(evidence.items(), key=lambda item: ORDER.get(item[0], len(ORDER))):
        if key in {"from", "to"}:
            continue
        words, kind = EVIDENCE.get(key, (key.replace("_", " "), "text"))
        parts.append(_evidence_part(words, kind, value))
    if "from" in evidence and "to" in evidence:
        parts.append(f"{evidence['from']} to {evidence['to']}")
    return " · ".join(parts)


def _evidence_part(words: str, kind: str, value: object) -> str:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return f"{words}: {value}"
    if kind == "tokens":
        return f"{tokens(int(number))} {words}"
    if kind == "usd":
        return f"{usd(number)} {words}"
    if kind == "usd_fine":
        return f"${number:,.4f} {words}"
    if kind == "share":
        return f"{number * 100:.1f}% {words}"
    if kind == "ratio":
        return f"{number:.3f} {words}"
    if kind == "rank":
        return f"#{int(number)}"
    if kind == "count":
        return f"{int(number):,} {words}"
    return f"{words}: {value}"
