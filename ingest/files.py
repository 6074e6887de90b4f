"""Usage files in Tokenboard's own schema (CSV or JSON Lines), read into batches.

Columns (CSV header, or JSON keys): day (YYYY-MM-DD), email and/or external_id, source
(optional; must be the import's source when given), model, input, cache_read, cache_write,
output, requests (whole numbers, empty = 0), cost_usd (optional, e.g. 12.50). Counts are
disjoint: input excludes cached and cache-write tokens.

A problem with one row rejects that row (with its line number and reason) and never the file;
only a problem with the whole file (no header, an unknown column, not text) fails it, once.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from leaderboard.domain.records import MAX_COUNT, AccountRecord, UsageRecord
from leaderboard.domain.text import CONTROL, INVISIBLE

from .records import Batch, Directory, Rejection, raw_text

COLUMNS = [
    "day",
    "email",
    "external_id",
    "source",
    "model",
    "input",
    "cache_read",
    "cache_write",
    "output",
    "requests",
    "cost_usd",
]
BATCH_ROWS = 5000


class FileFormatError(ValueError):
    """The file as a whole cannot be read (no header, unknown columns, not text)."""


def file_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise FileFormatError(f"{name}: use a .csv or .jsonl file (or say --format)")


class RowError(ValueError):
    pass


# The largest line read (longer ones are rejected unread, so memory stays flat), and the
# bounds of a row's values: the database's column lengths, and for amounts a plausible
# ceiling (leaderboard.domain.records.MAX_COUNT) that no sum of them can overflow.
MAX_LINE_BYTES = 1 << 20
MAX_LENGTHS = {"model": 200, "external_id": 255, "email": 254, "source": 80, "day": 10}
MAX_COST = Decimal(1_000_000_000)  # dollars per day, account and model
DIGITS = re.compile(r"[0-9]+")
AMOUNT = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]{1,3})?")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _count(row: Mapping[str, object], name: str) -> int:
    value = row.get(name)
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise RowError(f"{name} should be a whole number, got {value!r}")
    if isinstance(value, str):
        digits = value.strip().replace("_", "")
        # ASCII digits only: int() would also read Arabic-Indic or full-width digits.
        if not DIGITS.fullmatch(digits):
            raise RowError(f"{name} should be a whole number of 0 or more, got {value[:40]!r}")
        if len(digits) > 20:  # never handed to int(), which refuses past 4,300 digits
            raise RowError(f"{name} {digits[:20]}… ({len(digits):,} digits) is above the limit")
        value = int(digits)
    if not isinstance(value, int) or value < 0:
        raise RowError(f"{name} should be a whole number of 0 or more, got {value!r}")
    if value > MAX_COUNT:
        raise RowError(f"{name} {value} is above the limit of {MAX_COUNT:,}")
    return value


def _text(row: Mapping[str, object], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{name} should be text, got {str(value)[:40]!r}")
    value = value.strip()
    if hidden := CONTROL.search(value) or INVISIBLE.search(value):
        raise RowError(f"{name} contains a control or invisible character (U+{ord(hidden[0]):04X})")
    if len(value) > MAX_LENGTHS[name]:
        raise RowError(f"{name} is {len(value):,} characters long; at most {MAX_LENGTHS[name]}")
    return value


def _cost(row: Mapping[str, object]) -> Decimal | None:
    value = row.get("cost_usd")
    if value is None or value == "":
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    if isinstance(value, bool) or not AMOUNT.fullmatch(text):
        raise RowError(f"cost_usd should be an amount like 12.50, got {str(value)[:40]!r}")
    cost = Decimal(text)
    if cost > MAX_COST:
        raise RowError(f"cost_usd {text} is above the limit of {MAX_COST:,}")
    return cost


def read_row(row: Mapping[str, object], source: str) -> tuple[UsageRecord, AccountRecord]:
    """One row as a usage record and the account it names; RowError says what is wrong."""
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise RowError(f"unexpected column(s) {sorted(map(str, unknown))}")
    day_text = _text(row, "day")
    try:
        if not DAY.fullmatch(day_text):
            raise ValueError(day_text)
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        raise RowError(f"day should be a date like 2026-08-03, got {day_text!r}") from None
    row_source = _text(row, "source")
    if row_source and row_source != source:
        raise RowError(
            f"this import is for source {source!r}, the row says {row_source!r}; "
            "import those rows with --source " + row_source
        )
    email, external_id = _text(row, "email").lower(), _text(row, "external_id")
    if not email and not external_id:
        raise RowError("a row needs an email or an external_id")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise RowError(f"email {email!r} is not an e-mail address")
    model = _text(row, "model")
    if not model:
        raise RowError("model is empty")
    cost = _cost(row)
    account = external_id or email
    record = UsageRecord(
        day=day,
        account=account,
        model=model,
        cost=cost,
        email=email,
        input=_count(row, "input"),
        cache_read=_count(row, "cache_read"),
        cache_write=_count(row, "cache_write"),
        output=_count(row, "output"),
        requests=_count(row, "requests"),
    )
    return record, AccountRecord(external_id=account, email=email)


@dataclass(frozen=True)
class Line:
    """A physical line of the file (split at \\n only), as text, and what is wrong with it."""

    number: int
    text: str
    problem: str = ""


def _lines(stream: IO[bytes]) -> Iterator[Line]:
    """The file's lines, decoded one by one, so that a bad byte is reported on its line and
    a character such as U+2028 (a line break to str.splitlines) stays inside its line."""
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if len(raw) > MAX_LINE_BYTES:
            while raw and not raw.endswith(b"\n"):  # the rest of the line, unread
                raw = stream.readline(MAX_LINE_BYTES)
            yield Line(number, "\n", f"the line is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        try:
            yield Line(number, raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield Line(
                number,
                raw.decode("utf-8", errors="replace"),
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line)",
            )


@dataclass(frozen=True)
class Row:
    """A row read from the file: its first line, the row (None when unreadable), its text."""

    line: int
    row: Mapping[str, object] | None
    raw: str
    problem: str = ""


def _check_columns(names: list[str], where: str) -> None:
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise FileFormatError(
            f"{where} has unknown column(s) {', '.join(repr(n[:80]) for n in unknown[:10])}; "
            f"columns are {', '.join(COLUMNS)}"
        )


def _csv_rows(lines: Iterator[Line]) -> Iterator[Row]:
    span: list[Line] = []

    def texts() -> Iterator[str]:
        for line in lines:
            span.append(line)
            yield line.text

    reader = csv.reader(texts())
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise FileFormatError(f"the CSV header cannot be read ({exc})") from None
    if any(line.problem for line in span):
        raise FileFormatError(f"the CSV header cannot be read: {span[0].problem}")
    if not header:
        raise FileFormatError("the CSV file is empty: it needs a header row")
    missing = {"day", "model"} - set(header)
    if missing:
        raise FileFormatError(
            f"the CSV header lacks {', '.join(sorted(missing))}; columns are {', '.join(COLUMNS)}"
        )
    _check_columns(header, "the CSV header")
    if len(set(header)) < len(header):
        raise FileFormatError("the CSV header names a column twice")
    while True:
        span.clear()
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            values, problem = None, f"unreadable CSV ({exc})"
        else:
            problem = next((line.problem for line in span if line.problem), "")
        if not span:  # csv's error at the end of the file, after its last line
            return
        raw = "".join(line.text for line in span)
        if values == [] and not problem:
            continue  # a blank line
        if values and len(values) > len(header):
            problem = problem or (
                f"{len(values)} fields, more than the header's {len(header)} "
                "(a trailing comma, or a comma in an unquoted value)"
            )
        row = None if values is None else dict(zip(header, values, strict=False))
        yield Row(span[0].number, row, raw, problem)


def _jsonl_rows(lines: Iterator[Line]) -> Iterator[Row]:
    first = True
    for line in lines:
        text = line.text.strip()
        if not text and not line.problem:
            continue
        if line.problem:
            if first:
                raise FileFormatError(f"line {line.number} cannot be read: {line.problem}")
            yield Row(line.number, None, line.text, line.problem)
            continue
        try:
            row = json.loads(text)
        except RecursionError:
            yield Row(line.number, None, line.text, "the JSON is nested too deeply")
            continue
        except json.JSONDecodeError as exc:
            yield Row(line.number, None, line.text, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        except ValueError as exc:  # e.g. a number of more digits than Python reads
            yield Row(line.number, None, line.text, f"not JSON: {str(exc)[:200]}")
            continue
        if not isinstance(row, dict):
            yield Row(line.number, None, line.text, "not a JSON object")
            continue
        if first:  # the first object stands for the file's header
            _check_columns(list(row), f"line {line.number}")
            first = False
        yield Row(line.number, row, line.text)


def _rows(stream: IO[bytes], fmt: str) -> Iterator[Row]:
    lines = _lines(stream)
    return _csv_rows(lines) if fmt == "csv" else _jsonl_rows(lines)


Key = tuple[dt.date, str, str]  # day, account, model
REPEAT = "same day, account and model as an earlier line of this file"


class UsageFile:
    """Reads one file for one source: directory entries first, then batches of usage.

    A key may appear once per file. Memory stays flat whatever the file's size: the reader
    remembers only the current batch's keys, and asks `written` which of them earlier
    batches of this import have stored already.
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        fmt: str,
        source: str,
        written: Callable[[set[Key]], set[Key]] = lambda keys: set(),
    ) -> None:
        self.stream, self.fmt, self.source = stream, fmt, source
        self.written = written
        self.first_day: dt.date | None = None
        self.last_day: dt.date | None = None
        self._batch_keys: dict[Key, Row] = {}

    def batches(self) -> Iterator[tuple[Directory, Batch]]:
        directory, batch = Directory(), Batch()
        for row in _rows(self.stream, self.fmt):
            self._read(row, directory, batch)
            if len(batch.records) + len(batch.rejected) >= BATCH_ROWS:
                yield directory, self._without_repeats(batch)
                directory, batch = Directory(), Batch()
        yield directory, self._without_repeats(batch)

    def _without_repeats(self, batch: Batch) -> Batch:
        """Quarantine the batch's keys that an earlier batch of this file wrote."""
        repeats = self.written(set(self._batch_keys)) if self._batch_keys else set()
        if repeats:
            kept = []
            for record in batch.records:
                key = (record.day, record.account, record.model)
                if key in repeats:
                    row = self._batch_keys[key]
                    batch.rejected.append(Rejection(f"line {row.line}", REPEAT, raw_text(row.raw)))
                else:
                    kept.append(record)
            batch.records = kept
        self._batch_keys = {}
        return batch

    def _read(self, row: Row, directory: Directory, batch: Batch) -> None:
        try:
            if row.problem or row.row is None:
                raise RowError(row.problem or "unreadable row")
            record, account = read_row(row.row, self.source)
            key = (record.day, record.account, record.model)
            if key in self._batch_keys:
                raise RowError(f"same day, account and model as line {self._batch_keys[key].line}")
        except RowError as exc:
            batch.rejected.append(
                Rejection(location=f"line {row.line}", reason=str(exc), raw=raw_text(row.raw))
            )
            return
        self._batch_keys[key] = row
        self.first_day = min(self.first_day or record.day, record.day)
        self.last_day = max(self.last_day or record.day, record.day)
        batch.records.append(record)
        if account.email:
            directory.accounts.append(account)
