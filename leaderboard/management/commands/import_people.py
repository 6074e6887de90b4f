from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaderboard.domain.directory import DirectoryFormatError
from leaderboard.services.people import import_people


class Command(BaseCommand):
    help = "Load people and teams from a CSV with columns email, name, team, manager_email."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: object, **options: Path) -> None:
        path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with path.open("rb") as stream:
                result = import_people(stream=stream)
        except DirectoryFormatError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        self.stdout.write(
            f"{path.name}: {result.created} people created, {result.updated} "
            f"updated, {len(result.problems)} problem(s)"
        )
        for problem in result.problems:
            self.stderr.write(f"  line {problem.line}: {problem.reason}")
