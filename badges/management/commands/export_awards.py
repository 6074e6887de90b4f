from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from badges.models import Award
from leaderboard.domain.csv_export import csv_writer

COLUMNS = ["email", "badge", "tier", "period_start", "period_end", "granted_at"]


class Command(BaseCommand):
    help = "Print every active award."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: object, **options: str) -> None:
        awards = (
            Award.objects.filter(revoked_at__isnull=True)
            .order_by("person__email", "badge__slug", "period_start", "tier")
            .values_list(
                "person__email", "badge__slug", "tier", "period_start", "period_end", "granted_at"
            )
        )
        rows = [
            dict(
                zip(
                    COLUMNS,
                    (email, slug, tier, start.isoformat(), end.isoformat(), granted.isoformat()),
                    strict=True,
                )
            )
            for email, slug, tier, start, end, granted in awards
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        writer = csv_writer(self.stdout, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
