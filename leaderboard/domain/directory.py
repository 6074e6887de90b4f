"""The company directory as a CSV file: email, name, team, manager_email (header required),
and optionally github_login (the person's GitHub login, for sources that name people by it:
GitHub Copilot).

A problem with one line (a bad e-mail, an overlong name or team, bytes that are not UTF-8)
skips that line with its reason; only a file without the columns fails as a whole.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from leaderboard.domain.text import CONTROL, INVISIBLE, clean_text

COLUMNS = ["email", "name", "team", "manager_email", "github_login"]
# https://github.com/join: "Username may only contain alphanumeric characters or single hyphens,
# and cannot begin or end with a hyphen." (39 characters at most).
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
MAX_LENGTHS = {"email": 254, "name": 200, "team": 120}  # Person.email, display_name, Team.name


class DirectoryFormatError(ValueError):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    email: str
    name: str
    team: str
    manager_email: str
    github_login: str = ""  # lower-cased; "" when the file has none for this person


@dataclass(frozen=True)
class DirectoryProblem:
    line: int
    reason: str


class LineProblem(ValueError):
    pass


def email_problem(email: str) -> str:
    """Why email cannot be a directory e-mail ("" when it can)."""
    if "@" not in email or any(c.isspace() for c in email) or CONTROL.search(email):
        return f"email {email[:80]!r} is not an e-mail address"
    if INVISIBLE.search(email):
        return f"email {email[:80]!r} contains an invisible character"
    if len(email) > MAX_LENGTHS["email"]:
        return f"email is {len(email):,} characters long; at most {MAX_LENGTHS['email']}"
    return ""


def _texts(stream: IO[bytes], bad: dict[int, str]) -> Iterator[str]:
    """The file's lines split at \\n only and decoded one by one; bad[n] says why line n is
    not UTF-8."""
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1})"
            yield raw.decode("utf-8", errors="replace")


def _row(raw: dict[str, str | None]) -> tuple[str, str, str, str]:
    email = (raw.get("email") or "").strip().lower()
    if problem := email_problem(email):
        raise LineProblem(problem)
    name, team = clean_text(raw.get("name")), clean_text(raw.get("team"))
    for field, value in (("name", name), ("team", team)):
        if len(value) > MAX_LENGTHS[field]:
            raise LineProblem(
                f"{field} is {len(value):,} characters long; at most {MAX_LENGTHS[field]}"
            )
    return email, name, team, (raw.get("manager_email") or "").strip().lower()


def read_directory(stream: IO[bytes]) -> tuple[list[DirectoryRow], list[DirectoryProblem]]:
    """Rows that can be imported, and a problem for each line that cannot."""
    bad: dict[int, str] = {}
    reader = csv.DictReader(_texts(stream, bad))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise DirectoryFormatError(f"the header cannot be read ({exc})") from exc
    if 1 in bad:
        raise DirectoryFormatError(f"the file is not UTF-8 text ({bad[1]})")
    missing = {"email", "name"} - set(header)
    if missing:
        raise DirectoryFormatError(
            f"the header lacks {', '.join(sorted(missing))}; columns are {', '.join(COLUMNS)}"
        )
    rows: list[DirectoryRow] = []
    problems: list[DirectoryProblem] = []
    seen: dict[str, int] = {}  # e-mail -> the line it was first on
    line = reader.line_num
    while True:
        start = line + 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = max(reader.line_num, start)
            problems.append(DirectoryProblem(start, f"unreadable CSV ({exc})"))
            continue
        line = reader.line_num
        try:
            if problem := next((bad[n] for n in range(start, line + 1) if n in bad), ""):
                raise LineProblem(problem)
            if None in raw:
                raise LineProblem(f"more fields than the header's {len(header)}")
            email, name, team, manager_email = _row(raw)
            if email in seen:
                raise LineProblem(f"{email} is already on line {seen[email]}")
        except LineProblem as exc:
            problems.append(DirectoryProblem(line, str(exc)))
            continue
        if manager_email and (problem := email_problem(manager_email)):
            problems.append(
                DirectoryProblem(line, f"manager {problem}; {email} was imported without a manager")
            )
            manager_email = ""
        login = (raw.get("github_login") or "").strip().lower()
        if login and not GITHUB_LOGIN.fullmatch(login):
            problems.append(
                DirectoryProblem(
                    line,
                    f"github_login {login[:80]!r} is not a GitHub login; "
                    f"{email} was imported without one",
                )
            )
            login = ""
        seen[email] = line
        rows.append(DirectoryRow(line, email, name, team, manager_email, login))
    return rows, problems
