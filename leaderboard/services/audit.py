"""The audit trail: one writer, used by every app for changes managers must be able to trace."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from leaderboard.domain.json_values import JSON
from leaderboard.models import AuditEvent, User


def record(
    *, actor: User | None, action: str, target: models.Model, details: dict[str, JSON] | None = None
) -> AuditEvent:
    """Record that actor (None: a command or the system) did action to target."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor if actor and actor.pk else None,
        action=action,
        target_type=target._meta.label,
        target_id=str(target.pk),
        target=str(target)[:200],
        details=details or {},
    )


def record_watermark_resolved(
    *, code: str, day: dt.date, viewer: User | None, by: User | None = None
) -> None:
    """Record that a watermark code was resolved to viewer, by a manager in the admin or
    (by None) a command."""
    if viewer is None:  # the trail needs a target row; a no-viewer export has none
        return
    record(
        actor=by,
        action="watermark resolved",
        target=viewer,
        details={"code": code, "day": day.isoformat()},
    )
