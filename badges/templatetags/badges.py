"""Badge fragments for the leaderboard's pages (the leaderboard app never imports badges)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from django import template

from leaderboard.models import Person
from leaderboard.selectors.ledger import LedgerEntry

from .. import models, selectors
from ..checks import COUNTER

register = template.Library()


class PersonRow(Protocol):
    """A row of a standings page, as far as badges read it."""

    @property
    def person_id(self) -> int: ...


@register.simple_tag
def badge_summaries(rows: Iterable[PersonRow]) -> dict[int, selectors.Summary]:
    """{person_id: Summary} for the people of a standings page."""
    return selectors.summaries([row.person_id for row in rows])


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
    notices = list(selectors.new_awards(person)) if is_owner else []
    titles = selectors.titles_held(person)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "person": person,
        "is_owner": is_owner,
        "groups": selectors.badge_groups(person),
        "titles": titles,
        "title": selectors.displayed_title(person, titles),
        "notices": notices,
        "progress": list(selectors.progress(person)) if is_owner else [],
    }


@register.simple_tag
def with_badge_entries(ledger: list[LedgerEntry], person: Person) -> list[LedgerEntry]:
    """The owner's ledger (the leaderboard's entries) with their badge grants and
    revocations added, newest first."""
    entries = [*ledger, *selectors.award_ledger(person)]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


@register.inclusion_tag("badges/_catalogue.html")
def badge_catalogue() -> dict[str, object]:
    """Every enabled badge in words, with its rarity (for the "how the numbers work" page)."""
    return {"entries": selectors.catalogue(), "active_days": selectors.ACTIVE_DAYS}
