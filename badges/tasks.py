"""Celery tasks: thin wrappers over badges.services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import services
from .models import Badge


@shared_task(name="badges.evaluate_changed")
def evaluate_changed(start: str | None = None, end: str | None = None) -> int:
    """Re-evaluate badges for periods around changed days (all history without dates)."""
    changed = (
        (dt.date.fromisoformat(start), dt.date.fromisoformat(end)) if start and end else (None)
    )
    outcome = services.evaluate_all(changed=changed)
    return outcome.written


@shared_task(name="badges.evaluate_badge")
def evaluate_badge(badge_id: int) -> int:
    """Evaluate one (new or edited) badge over all history."""
    badge = Badge.objects.filter(pk=badge_id).first()
    if badge is None:
        return 0
    outcome = services.evaluate_badge(badge=badge)
    return outcome.written
