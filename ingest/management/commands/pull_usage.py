from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ingest.models import Connection, IngestRun
from ingest.providers.http import ProviderUnavailable
from ingest.services.pulls import pull_connection
from ingest.services.runs import PullInProgress


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date in YYYY-MM-DD form") from exc


class Command(BaseCommand):
    help = "Pull usage now for the named connections (all enabled ones by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", metavar="NAME")
        parser.add_argument("--start", type=_date, help="first UTC day (YYYY-MM-DD)")
        parser.add_argument("--end", type=_date, help="last UTC day, inclusive (YYYY-MM-DD)")

    def handle(
        self,
        *args: object,
        names: list[str],
        start: dt.date | None,
        end: dt.date | None,
        **options: object,
    ) -> None:
        connections = (
            Connection.objects.filter(name__in=names)
            if names
            else (Connection.objects.filter(enabled=True))
        )
        missing = set(names) - {c.name for c in connections}
        if missing:
            raise CommandError(f"no connection named {', '.join(sorted(missing))}")
        failed = 0
        for connection in connections:
            failed += not self._pull(connection, start, end)
        if failed:
            raise CommandError(f"{failed} pull(s) failed; see the messages above and IngestRun")

    def _pull(self, connection: Connection, start: dt.date | None, end: dt.date | None) -> bool:
        with tqdm(desc=connection.name, unit=" pages", disable=None) as bar:

            def on_page(run: IngestRun) -> None:
                bar.update(1)
                bar.set_postfix(rows=run.rows)

            try:
                run = pull_connection(
                    connection=connection, start=start, end=end, trigger="command", on_page=on_page
                )
            except (PullInProgress, ProviderUnavailable, ValueError) as exc:
                self.stderr.write(f"{connection.name}: {exc}")
                return False
        summary = (
            f"{connection.name}: {run.status}, {run.window_start}..{run.window_end}, "
            f"{run.pages} pages, {run.rows} rows, {run.accounts} accounts updated"
        )
        if run.rejected:
            summary += f", {run.rejected} rows rejected (admin: Ingest > Rejected rows)"
        if run.status == IngestRun.Status.FAILED:
            self.stderr.write(f"{summary}. Error: {run.error}")
            return False
        self.stdout.write(summary)
        return True
