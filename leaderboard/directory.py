"""The company directory as a CSV file: email, name, team, manager_email (header required)."""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from typing import IO

from .text import clean_text

COLUMNS = ["email", "name", "team", "manager_email"]
NAME_MAX, TEAM_MAX = 200, 120  # Person.display_name, Team.name


class DirectoryFormatError(ValueError):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    email: str
    name: str
    team: str
    manager_email: str


@dataclass(frozen=True)
class DirectoryProblem:
    line: int
    reason: str


def read_directory(stream: IO[bytes]) -> tuple[list[DirectoryRow], list[DirectoryProblem]]:
    """Rows that can be imported, and a problem for each line that cannot."""
    reader = csv.DictReader(codecs.getreader("utf-8-sig")(stream))
    try:
        header = reader.fieldnames or []
    except UnicodeDecodeError as exc:
        raise DirectoryFormatError(f"the file is not UTF-8 text ({exc})") from exc
    missing = {"email", "name"} - set(header)
    if missing:
        raise DirectoryFormatError(
            f"the header lacks {', '.join(sorted(missing))}; columns are {', '.join(COLUMNS)}"
        )
    rows, problems, seen = [], [], {}
    try:
        for raw in reader:
            line = reader.line_num
            email = (raw.get("email") or "").strip().lower()
            if "@" not in email:
                problems.append(DirectoryProblem(line, f"email {email!r} is not an e-mail address"))
                continue
            if email in seen:
                problems.append(DirectoryProblem(line, f"{email} is already on line {seen[email]}"))
                continue
            seen[email] = line
            rows.append(
                DirectoryRow(
                    line=line,
                    email=email,
                    name=clean_text(raw.get("name"), max_length=NAME_MAX),
                    team=clean_text(raw.get("team"), max_length=TEAM_MAX),
                    manager_email=(raw.get("manager_email") or "").strip().lower(),
                )
            )
    except UnicodeDecodeError as exc:
        raise DirectoryFormatError(f"the file is not UTF-8 text ({exc})") from exc
    return rows, problems
