"""Usage files in Tokenboard's own schema (CSV or JSON Lines), read into batches.

Columns (CSV header, or JSON keys): day (YYYY-MM-DD), email and/or external_id, source
(optional; must be the import's source when given), model, input, cache_read, cache_write,
output, requests (whole numbers, empty = 0), cost_usd (optional, e.g. 12.50). Counts are
disjoint: input excludes cached and cache-write tokens.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from leaderboard.records import AccountRecord, UsageRecord

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
COUNTS = ["input", "cache_read", "cache_write", "output", "requests"]
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


def _count(row: dict[str, Any], name: str) -> int:
    value = row.get(name)
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise RowError(f"{name} should be a whole number, got {value!r}")
    if isinstance(value, str):
        value = value.strip().replace("_", "")
        if not value.isdigit():
            raise RowError(f"{name} should be a whole number of 0 or more, got {value!r}")
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    raise RowError(f"{name} should be a whole number of 0 or more, got {value!r}")


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{name} should be text, got {value!r}")
    return value.strip()


def read_row(row: dict[str, Any], source: str) -> tuple[UsageRecord, AccountRecord]:
    """One row as a usage record and the account it names; RowError says what is wrong."""
    unknown = set(row) - set(COLUMNS) - {None}
    if None in row or unknown:
        raise RowError(f"unexpected column(s) {sorted(map(str, unknown)) or 'beyond the header'}")
    day_text = _text(row, "day")
    try:
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
    if email and "@" not in email:
        raise RowError(f"email {email!r} is not an e-mail address")
    model = _text(row, "model")
    if not model:
        raise RowError("model is empty")
    cost_value = row.get("cost_usd")
    cost = None
    if cost_value not in (None, ""):
        try:
            cost = Decimal(str(cost_value).strip())
        except InvalidOperation:
            raise RowError(f"cost_usd should be an amount like 12.50, got {cost_value!r}") from None
        if not cost.is_finite() or cost < 0:
            raise RowError(f"cost_usd should be 0 or more, got {cost_value!r}")
    account = external_id or email
    record = UsageRecord(
        day=day,
        account=account,
        model=model,
        cost=cost,
        email=email,
        **{name: _count(row, name) for name in COUNTS},
    )
    return record, AccountRecord(external_id=account, email=email)


def _rows(stream: IO[bytes], fmt: str) -> Iterator[tuple[int, Any]]:
    """(line number, row) pairs; a row is a dict, or the raw line when it is not one."""
    text = codecs.getreader("utf-8-sig")(stream, errors="strict")
    if fmt == "csv":
        reader = csv.DictReader(text)
        try:
            header = reader.fieldnames
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"the file is not UTF-8 text ({exc})") from exc
        if not header:
            raise FileFormatError("the CSV file is empty: it needs a header row")
        missing = {"day", "model"} - set(header)
        if missing:
            raise FileFormatError(
                f"the CSV header lacks {', '.join(sorted(missing))}; "
                f"columns are {', '.join(COLUMNS)}"
            )
        for row in reader:
            yield reader.line_num, row
        return
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError:
            yield number, line


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
        self._batch_keys: dict[Key, tuple[int, Any]] = {}  # line number and row

    def batches(self) -> Iterator[tuple[Directory, Batch]]:
        directory, batch = Directory(), Batch()
        try:
            for number, row in _rows(self.stream, self.fmt):
                self._read(number, row, directory, batch)
                if len(batch.records) + len(batch.rejected) >= BATCH_ROWS:
                    yield directory, self._without_repeats(batch)
                    directory, batch = Directory(), Batch()
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"the file is not UTF-8 text ({exc})") from exc
        yield directory, self._without_repeats(batch)

    def _without_repeats(self, batch: Batch) -> Batch:
        """Quarantine the batch's keys that an earlier batch of this file wrote."""
        repeats = self.written(set(self._batch_keys)) if self._batch_keys else set()
        if repeats:
            kept = []
            for record in batch.records:
                key = (record.day, record.account, record.model)
                if key in repeats:
                    number, row = self._batch_keys[key]
                    batch.rejected.append(Rejection(f"line {number}", REPEAT, raw_text(row)))
                else:
                    kept.append(record)
            batch.records = kept
        self._batch_keys = {}
        return batch

    def _read(self, number: int, row: Any, directory: Directory, batch: Batch) -> None:
        where = f"line {number}"
        try:
            if not isinstance(row, dict):
                raise RowError("not a JSON object" if self.fmt == "jsonl" else "unreadable row")
            record, account = read_row(row, self.source)
            key = (record.day, record.account, record.model)
            if key in self._batch_keys:
                raise RowError(f"same day, account and model as line {self._batch_keys[key][0]}")
        except RowError as exc:
            batch.rejected.append(Rejection(location=where, reason=str(exc), raw=raw_text(row)))
            return
        self._batch_keys[key] = (number, row)
        self.first_day = min(self.first_day or record.day, record.day)
        self.last_day = max(self.last_day or record.day, record.day)
        batch.records.append(record)
        if account.email:
            directory.accounts.append(account)
