from __future__ import annotations

import dataclasses
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaderboard.domain.csv_export import csv_writer
from leaderboard.management.exports import start_export
from leaderboard.selectors.usage import usage_totals

COLUMNS = [
    "email",
    "source",
    "input",
    "output",
    "cache_read",
    "cache_write",
    "requests",
    "cost_usd",
    "cost_estimated",
    "cost_basis",  # billed, estimated, partial (some usage unpriced: a floor), not priced
    "watermark",  # who the file was made for (resolve_watermark) and when
]
COST_COLUMNS = {"cost_usd", "cost_estimated", "cost_basis"}  # left out for who may not see cost


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date in YYYY-MM-DD form") from exc


class Command(BaseCommand):
    help = "Print per-person usage totals for [start, end]; unowned usage is one row per source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", type=_date, required=True)
        parser.add_argument("--end", type=_date, required=True, help="inclusive")
        parser.add_argument(
            "--by-source", action="store_true", help="one row per person and source"
        )
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--viewer",
            metavar="EMAIL",
            help="the user the file is for: every row carries their watermark code",
        )

    def handle(
        self,
        *args: object,
        start: dt.date,
        end: dt.date,
        by_source: bool,
        format: str,
        viewer: str | None,
        **options: object,
    ) -> None:
        if start > end:
            raise CommandError("--start is after --end")
        export = start_export(
            viewer_email=viewer,
            target="export_usage",
            query=f"start={start} end={end} by_source={by_source} format={format}",
        )
        rows = usage_totals(start=start, end=end, by_source=by_source)
        left_out = set() if export.show_cost else COST_COLUMNS
        if format == "json":
            records = [
                {
                    k: (str(v) if k == "cost_usd" and v is not None else v)
                    for k, v in dataclasses.asdict(row).items()
                    if k not in left_out
                }
                | {"watermark": export.text}
                for row in rows
            ]
            self.stdout.write(json.dumps(records, indent=2))
            return
        writer = csv_writer(self.stdout, [c for c in COLUMNS if c not in left_out])
        writer.writeheader()
        for row in rows:
            record = dataclasses.asdict(row) | {
                "cost_estimated": str(row.cost_estimated).lower(),
                "watermark": export.text,
            }
            writer.writerow({k: v for k, v in record.items() if k not in left_out})
