"""Template context every page gets."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from leaderboard.domain.watermark import watermark_text
from leaderboard.selectors.site import sees_cost


def watermark(request: HttpRequest) -> dict[str, str]:
    """The signed-in viewer's watermark (code and time), for base.html; none when signed out."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "watermark": watermark_text(secret=settings.SECRET_KEY, user_id=user.pk, at=timezone.now())
    }


def presentation(request: HttpRequest) -> dict[str, bool]:
    """Whether presentation mode is on (leaderboard.web.middleware.PresentationMode)."""
    return {"presenting": getattr(request, "presenting", False)}


def cost(request: HttpRequest) -> dict[str, bool]:
    """Whether the viewer may see cost (selectors.site.sees_cost): every template hides it
    without."""
    user = getattr(request, "user", None)
    return {"show_cost": user is not None and sees_cost(user)}
