"""What every export command does first: check who the file is for, log the export, and
return the watermark each row carries."""

from __future__ import annotations

from django.core.management.base import CommandError

from leaderboard.models import PageView
from leaderboard.selectors.watermarks import (
    ExportNotAllowed,
    ExportWatermark,
    UnknownViewer,
    export_watermark,
)
from leaderboard.services.page_views import record_view


def start_export(*, viewer_email: str | None, target: str, query: str) -> ExportWatermark:
    """The watermark for an export for viewer_email (None: for no named viewer), and whether
    it may carry cost, with the export recorded in the view log; an unknown viewer or one
    without the export permission is a CommandError."""
    try:
        mark = export_watermark(viewer_email=viewer_email)
    except (UnknownViewer, ExportNotAllowed) as exc:
        raise CommandError(str(exc)) from None
    record_view(viewer_id=mark.viewer_id, kind=PageView.Kind.EXPORT, target=target, query=query)
    return mark
