"""Every CSV the project writes is safe to open in a spreadsheet: a cell that a spreadsheet
would run as a formula is written as text (OWASP's advice on CSV injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from leaderboard.domain.csv_export import csv_writer, spreadsheet_safe
from tests.factories import AccountFactory, PersonFactory, SourceFactory, UsageFactFactory

ROOT = Path(__file__).resolve().parent.parent.parent
EVIL_EMAIL = '=HYPERLINK("http://evil.example","x")&"@example.com"'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_a_text_cell_that_could_start_a_formula_is_written_as_text(start) -> None:
    assert spreadsheet_safe(f"{start}1+1") == f"'{start}1+1"


def test_plain_text_numbers_and_empty_cells_are_written_as_they_are() -> None:
    assert spreadsheet_safe("alice@example.com") == "alice@example.com"
    assert spreadsheet_safe("it's = fine") == "it's = fine"
    assert spreadsheet_safe(-42) == -42
    assert spreadsheet_safe(Decimal("-1.50")) == Decimal("-1.50")
    assert spreadsheet_safe(None) == ""
    assert spreadsheet_safe("-42") == "'-42"  # text that looks like a number is still text


def test_the_writer_quotes_every_field() -> None:
    out = io.StringIO()
    writer = csv_writer(out, ["email", "input"])
    writer.writeheader()
    writer.writerow({"email": "+cmd|' /C calc'!A0", "input": 7})

    assert out.getvalue() == '"email","input"\n"\'+cmd|\' /C calc\'!A0","7"\n'


def test_export_usage_writes_an_imported_formula_e_mail_as_text(db) -> None:
    person = PersonFactory(email=EVIL_EMAIL)
    UsageFactFactory(
        source=SourceFactory(name="@gateway"),
        account=AccountFactory(person=person),
        day=dt.date(2026, 8, 3),
        input=1000,
        output=10,
    )
    out = io.StringIO()

    call_command(
        "export_usage", "--start", "2026-08-01", "--end", "2026-08-31", "--by-source", stdout=out
    )

    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["email"] == "'" + EVIL_EMAIL
    assert row["source"] == "'@gateway"
    assert (row["input"], row["output"]) == ("1000", "10")


def test_no_module_writes_csv_but_through_the_safe_writer() -> None:
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("leaderboard", "badges", "ingest")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "csv_export.py" and writers.search(path.read_text())
    ]

    assert offenders == []
