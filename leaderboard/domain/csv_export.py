"""CSV files the project writes, safe to open in a spreadsheet: the one way to write CSV.

A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` (or a tab, carriage return
or line feed before one) as a formula, so a person's imported e-mail of
`=HYPERLINK("http://evil.example","x")&"@example.com"` becomes a live link in the file a
manager opens. As OWASP advises for CSV injection, such a text cell is written with a
leading single quote, which a spreadsheet shows as text and hides, and every field is
quoted. Numbers (int, Decimal, float) are written as they are: they cannot hold a formula
and a negative one must stay a number a spreadsheet can sum. A reader that wants the
original text back drops one leading quote from a cell that starts with `'` and one of
these characters.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: object) -> object:
    """value as a CSV cell no spreadsheet runs: text that could start a formula gets a
    leading quote; numbers stay numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class SafeDictWriter:
    """csv.DictWriter that quotes every field and neutralises every cell."""

    def __init__(self, stream: SupportsWrite[str], fieldnames: list[str]) -> None:
        self.fieldnames = fieldnames
        self._writer = csv.DictWriter(
            stream, fieldnames=fieldnames, quoting=csv.QUOTE_ALL, lineterminator="\n"
        )

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, object]) -> None:
        self._writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: SupportsWrite[str], fieldnames: list[str]) -> SafeDictWriter:
    """A writer of rows (dicts keyed by fieldnames) to stream, safe for spreadsheets."""
    return SafeDictWriter(stream, fieldnames)
