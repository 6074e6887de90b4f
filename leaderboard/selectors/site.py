"""The site state every page reads first: the boards switch, the version counters, and the
boards and teams (kept per process for the latest boards version)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import models

from leaderboard.db import counters
from leaderboard.models import Board, Source, Team, UsageVersion, User

COST_PERMISSION = "leaderboard.view_cost"


def _counters() -> dict[str, type[models.Model]]:
    """Other apps' version counters that pages read, by name (settings.SITE_COUNTERS)."""
    return {name: apps.get_model(label) for name, label in settings.SITE_COUNTERS.items()}


@dataclass(frozen=True)
class Site:
    boards_visible: bool
    boards_version: int | None  # None: no switch row yet, so nothing is cached
    usage_version: int
    counters: dict[str, int] = field(default_factory=dict)


def site() -> Site:
    """The switch, the boards version, the usage version and the SITE_COUNTERS, in one plain
    query (every page reads them)."""
    models_by_name = {"usage": UsageVersion} | _counters()
    visible, version, read = counters.site_state(list(models_by_name.values()))
    by_name = dict(zip(models_by_name, read, strict=True))
    return Site(visible, version, by_name.pop("usage"), by_name)


def boards_visible() -> bool:
    return site().boards_visible


# Boards and teams change rarely, and any change moves the boards version: each process keeps
# its copy of the latest version's, so most pages neither ask Redis nor unpickle thousands of
# teams. (A stale copy is never read: the version is read afresh on every request.)
_held: dict[str, tuple[int, object]] = {}


def _by_version[T](name: str, version: int | None, read: Callable[[], T]) -> T:
    if version is None:
        return read()
    held = _held.get(name)
    if held is not None and held[0] == version:
        return cast(T, held[1])  # what this name's read returned
    value = cast(T, cache.get_or_set(f"{name}:{version}", read, 3600))  # read's, or a copy
    _held[name] = (version, value)
    return value


def forget() -> None:
    """Drop this process's copies (tests roll the database, and so the versions, back)."""
    _held.clear()


def all_boards(version: int | None) -> list[Board]:
    """Every board with its teams and sources, in display order: read once per boards
    version (database triggers move it when any of them changes)."""
    return _by_version(
        "boards", version, lambda: list(Board.objects.prefetch_related("teams", "sources"))
    )


def all_sources(version: int | None) -> list[Source]:
    """Every source: read once per boards version (sources move it too)."""
    return _by_version("sources", version, lambda: list(Source.objects.all()))


def all_teams(version: int | None) -> list[tuple[int, str]]:
    """Every team's pk and name, by name: read once per boards version (teams move it too)."""
    return _by_version(
        "teams", version, lambda: list(Team.objects.order_by("name").values_list("pk", "name"))
    )


def sees_cost(user: User | AnonymousUser) -> bool:
    """Whether a user may see cost anywhere (pages, charts, fragments, exports): everyone
    signed in under COST_VISIBLE_TO_ALL, else only with the view_cost permission."""
    if not user.is_authenticated:
        return False
    return bool(settings.COST_VISIBLE_TO_ALL) or user.has_perm(COST_PERMISSION)
