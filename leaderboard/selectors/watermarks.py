"""Who a watermark code belongs to (managers and auditors only, via resolve_watermark)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.utils import timezone

from leaderboard.domain.watermark import (
    NO_VIEWER,
    normalise_code,
    watermark_code,
    watermark_text,
)
from leaderboard.models import User
from leaderboard.selectors.site import sees_cost


@dataclasses.dataclass(frozen=True)
class WatermarkMatch:
    day: dt.date
    user: User | None  # None: a command-line export made for no named viewer


def watermark_matches(code: str, *, days: list[dt.date]) -> list[WatermarkMatch]:
    """Every (viewer, day) among days whose code is code."""
    wanted = normalise_code(code)
    secret = settings.SECRET_KEY
    found: list[WatermarkMatch] = []
    users = list(User.objects.only("pk", "email").order_by("pk"))
    for day in days:
        if watermark_code(secret=secret, user_id=NO_VIEWER, day=day) == wanted:
            found.append(WatermarkMatch(day=day, user=None))
        found += [
            WatermarkMatch(day=day, user=user)
            for user in users
            if watermark_code(secret=secret, user_id=user.pk, day=day) == wanted
        ]
    return found


def days_searched(day: dt.date | None, *, today: dt.date) -> list[dt.date]:
    """The days a code is looked for on: the one given, else the last VIEW_LOG_DAYS."""
    if day is not None:
        return [day]
    return [today - dt.timedelta(days=n) for n in range(settings.VIEW_LOG_DAYS)]


class UnknownViewer(LookupError):
    pass


class ExportNotAllowed(PermissionError):
    pass


EXPORT_PERMISSION = "leaderboard.export_data"


@dataclasses.dataclass(frozen=True)
class ExportWatermark:
    viewer_id: int | None  # None: no named viewer
    text: str
    show_cost: bool  # the viewer may see cost (sees_cost); no named viewer: the operator may


def export_watermark(*, viewer_email: str | None) -> ExportWatermark:
    """The watermark an export made now for viewer_email (None: no named viewer, the shell's
    operator) carries; the viewer must hold the export permission."""
    user_id, show_cost = NO_VIEWER, True
    if viewer_email:
        user = User.objects.filter(email__iexact=viewer_email.strip()).first()
        if user is None:
            raise UnknownViewer(
                f"No user with e-mail {viewer_email}: they must sign in once first."
            )
        if not user.has_perm(EXPORT_PERMISSION):
            raise ExportNotAllowed(
                f"{user.email} may not have data exported for them (permission"
                f" {EXPORT_PERMISSION}; managers have it)."
            )
        user_id, show_cost = user.pk, sees_cost(user)
    text = watermark_text(secret=settings.SECRET_KEY, user_id=user_id, at=timezone.now())
    return ExportWatermark(viewer_id=user_id or None, text=text, show_cost=show_cost)
