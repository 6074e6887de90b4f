from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from badges.services import evaluate_all

RECENT_DAYS = 35  # the current week and month, and the one before


class Command(BaseCommand):
    help = "Run the badge engine now: recent periods, or all history with --full."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="evaluate all history")
        parser.add_argument(
            "--dry-run", action="store_true", help="change nothing; say what would change"
        )

    def handle(self, *args: object, **options: bool) -> None:
        today = timezone.now().date()
        changed = None if options["full"] else (today - dt.timedelta(days=RECENT_DAYS), today)
        outcome = evaluate_all(changed=changed, dry_run=options["dry_run"])
        verb = "would be" if options["dry_run"] else "were"
        scope = "all history" if changed is None else f"periods since {changed[0]}"
        self.stdout.write(
            f"Badges over {scope}: {len(outcome.granted)} awards {verb} granted, "
            f"{len(outcome.revoked)} revoked, {len(outcome.restored)} restored, "
            f"{len(outcome.retiered)} moved to another tier."
        )
