from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from leaderboard.services import review


class Command(BaseCommand):
    help = (
        "Run the enabled gaming rules over all history (or the last --days days) and hold the "
        "person-days they flag for review. Safe to repeat: no flag is made twice, and a "
        "cleared one stays cleared."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: object, **options: int | None) -> None:
        days = options["days"]
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1")
            return
        created = review.detect_all(days=days)
        self.stdout.write(f"{len(created)} new flag(s); their days are held for review.")
