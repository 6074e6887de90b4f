from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ingest.models import IngestRun
from ingest.services.runs import PullInProgress
from ingest.services.uploads import import_usage_file


class Command(BaseCommand):
    help = "Import a usage file (CSV or JSON Lines, Tokenboard's schema) into a file source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", required=True, help="the source these rows belong to")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: by extension")

    def handle(
        self, *args: object, file: Path, source: str, format: str | None, **options: object
    ) -> None:
        path = file
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with path.open("rb") as stream, tqdm(desc=path.name, unit=" batches", disable=None) as bar:
            try:
                run = import_usage_file(
                    source=source,
                    stream=stream,
                    filename=path.name,
                    fmt=format,
                    on_batch=lambda run: bar.update(1),
                )
            except (ValueError, PullInProgress) as exc:
                raise CommandError(str(exc)) from exc
        if run.status == IngestRun.Status.FAILED:
            raise CommandError(run.error)
        self.stdout.write(
            f"{path.name} -> {source}: {run.rows} rows imported, "
            f"{run.rejected} rejected, {run.window_start}..{run.window_end}"
        )
        for rejected in run.rejected_rows.order_by("pk")[:20]:
            self.stderr.write(f"  {rejected.location}: {rejected.reason}")
        if run.rejected > 20:
            self.stderr.write(f"  ... and {run.rejected - 20} more (admin: Ingest > Rejected rows)")
