from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leaderboard.selectors.watermarks import days_searched, watermark_matches
from leaderboard.services.audit import record_watermark_resolved


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date in YYYY-MM-DD form") from exc


class Command(BaseCommand):
    help = (
        "Say whose page or export carried a watermark code (the code and day shown beside it); "
        "each resolution is recorded in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument(
            "--day",
            type=_date,
            help="the day the watermark shows (default: the last VIEW_LOG_DAYS)",
        )

    def handle(self, *args: object, code: str, day: dt.date | None, **options: object) -> None:
        today = timezone.now().astimezone(dt.UTC).date()
        matches = watermark_matches(code, days=days_searched(day, today=today))
        if not matches:
            raise CommandError(f"No viewer has code {code!r} on the days searched.")
        for match in matches:
            who = match.user.email if match.user else "a command-line export for no named viewer"
            self.stdout.write(f"{code} on {match.day.isoformat()}: {who}")
            record_watermark_resolved(code=code, day=match.day, viewer=match.user)
