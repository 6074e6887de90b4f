from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from badges.models import TIERS, Award
from leaderboard.domain.csv_export import csv_writer
from leaderboard.management.exports import start_export

# tier: the highest reached in the period; tiers_reached: each tier reached, when (ISO 8601)
COLUMNS = [
    "email",
    "badge",
    "tier",
    "tiers_reached",
    "period_start",
    "period_end",
    "granted_at",
    "watermark",
]


class Command(BaseCommand):
    help = "Print every active award."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--viewer",
            metavar="EMAIL",
            help="the user the file is for: every row carries their watermark code",
        )

    def handle(self, *args: object, **options: str) -> None:
        watermark = start_export(
            viewer_email=options["viewer"],
            target="export_awards",
            query=f"format={options['format']}",
        ).text
        awards = (
            Award.objects.filter(revoked_at__isnull=True)
            .order_by("person__email", "badge__slug", "period_start", "tier")
            .values_list(
                "person__email",
                "badge__slug",
                "tier",
                "tiers_reached",
                "period_start",
                "period_end",
                "granted_at",
            )
        )
        rows = [
            dict(
                zip(
                    COLUMNS,
                    (
                        email,
                        slug,
                        tier,
                        " ".join(f"{t}@{reached[t]}" for t in TIERS if t in reached),
                        start.isoformat(),
                        end.isoformat(),
                        granted.isoformat(),
                        watermark,
                    ),
                    strict=True,
                )
            )
            for email, slug, tier, reached, start, end, granted in awards
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        writer = csv_writer(self.stdout, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
