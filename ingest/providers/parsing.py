"""Strict reading of provider JSON: every problem names where it is and what was expected."""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Literal, overload

from ingest.records import Batch, Directory, Rejection, raw_text
from leaderboard.domain.records import MAX_COUNT, AccountRecord, UsageRecord

from .http import JSON, NO_PAYLOAD, JsonClient, ParamValue, ProviderDataError

log = logging.getLogger(__name__)
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Reader:
    """Reads fields of one JSON object, naming its place (e.g. 'page 2, bucket 1, result 3')."""

    def __init__(self, obj: JSON, where: str) -> None:
        if not isinstance(obj, dict):
            raise ProviderDataError(f"{where}: expected an object, got {_kind(obj)}", raw=obj)
        self.obj = obj
        self.where = where

    def _get(self, name: str, required: bool) -> JSON:
        if name not in self.obj:
            if required:
                raise ProviderDataError(f"{self.where}: required field '{name}' is missing")
            return None
        return self.obj[name]

    def int(self, name: str, *, required: bool = True) -> int:
        """A non-negative whole number of at most MAX_COUNT (which a timestamp in milliseconds
        fits too); absent or null optional fields count as 0."""
        value = self._get(name, required)
        if value is None and not required:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProviderDataError(
                f"{self.where}: field '{name}' should be a whole number, got {value!r}"
            )
        if value < 0:
            raise ProviderDataError(f"{self.where}: field '{name}' is negative ({value})")
        if value > MAX_COUNT:
            raise ProviderDataError(
                f"{self.where}: field '{name}' is {value}, above the limit of {MAX_COUNT:,}"
            )
        return value

    def decimal(self, name: str, *, required: bool = True) -> Decimal | None:
        """A non-negative number (JSON number or numeric string), exactly."""
        value = self._get(name, required)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
            raise ProviderDataError(
                f"{self.where}: field '{name}' should be a number, got {value!r}"
            )
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ProviderDataError(
                f"{self.where}: field '{name}' should be a number, got {value!r}"
            ) from None
        if not number.is_finite() or number < 0:
            raise ProviderDataError(
                f"{self.where}: field '{name}' is not a usable amount ({value!r})"
            )
        return number

    @overload
    def str(
        self, name: str, *, required: Literal[True] = True, nullable: Literal[False] = False
    ) -> str: ...

    @overload
    def str(self, name: str, *, required: bool = True, nullable: bool = False) -> str | None: ...

    def str(self, name: str, *, required: bool = True, nullable: bool = False) -> str | None:
        value = self._get(name, required)
        if value is None and (nullable or not required):
            return None
        if not isinstance(value, str):
            raise ProviderDataError(f"{self.where}: field '{name}' should be text, got {value!r}")
        return value

    def bool(self, name: builtins.str, *, required: bool = True) -> bool:
        value = self._get(name, required)
        if value is None and not required:
            return False
        if not isinstance(value, bool):
            raise ProviderDataError(f"{self.where}: field '{name}' should be true or false")
        return value

    def list(self, name: builtins.str) -> builtins.list[JSON]:
        value = self._get(name, True)
        if not isinstance(value, list):
            raise ProviderDataError(f"{self.where}: field '{name}' should be a list")
        return value

    @overload
    def object(self, name: builtins.str, *, required: Literal[True] = True) -> Reader: ...

    @overload
    def object(self, name: builtins.str, *, required: builtins.bool) -> Reader | None: ...

    def object(self, name: builtins.str, *, required: builtins.bool = True) -> Reader | None:
        value = self._get(name, required)
        if value is None and not required:
            return None
        return Reader(value, f"{self.where}, {name}")

    def timestamp(self, name: builtins.str) -> dt.date:
        """The UTC day of an RFC 3339 timestamp such as 2026-08-04T00:00:00Z."""
        text = self.str(name) or ""
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ProviderDataError(
                f"{self.where}: field '{name}' should be an RFC 3339 time, got {text!r}"
            ) from None
        if moment.tzinfo is None:
            raise ProviderDataError(f"{self.where}: field '{name}' has no time zone ({text!r})")
        return moment.astimezone(dt.UTC).date()

    def utc_day(self, name: builtins.str) -> dt.date:
        """A UTC day given as YYYY-MM-DD or as an RFC 3339 timestamp at midnight UTC
        (2026-08-04T00:00:00Z, or +00:00): the references have shown both."""
        text = self.str(name) or ""
        if DATE_ONLY.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ProviderDataError(
                    f"{self.where}: field '{name}' is not a calendar date ({text!r})"
                ) from None
        day = self.timestamp(name)
        moment = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
        if moment.time() != dt.time(0):
            raise ProviderDataError(
                f"{self.where}: field '{name}' should be midnight UTC, got {text!r}"
            )
        return day


def _kind(value: JSON) -> str:
    return "null" if value is None else type(value).__name__


def read_rows[T](
    items: Iterable[JSON],
    where: str,
    read: Callable[[JSON, str], Iterable[T]],
    *,
    skip: Callable[[JSON], bool] | None = None,
) -> tuple[list[T], list[Rejection]]:
    """Read each item with read(item, its place); bad items become rejections, not failures.
    Items skip() is true of (already read, say) are passed over, keeping the others' places."""
    good: list[T] = []
    rejected: list[Rejection] = []
    for i, item in enumerate(items, start=1):
        if skip is not None and skip(item):
            continue
        place = f"{where} {i}"
        try:
            good.extend(read(item, place))
        except ProviderDataError as exc:
            rejected.append(Rejection(location=place, reason=str(exc), raw=raw_text(item)))
    return good, rejected


@contextmanager
def keeping(raw: JSON) -> Iterator[None]:
    """Attach the whole payload to a data error raised while reading it, for review."""
    try:
        yield
    except ProviderDataError as exc:
        if exc.raw is NO_PAYLOAD:
            exc.raw = raw
        raise


def next_cursor(data: Reader) -> str | None:
    """The next page's cursor of a {has_more, next_page} envelope (None on the last page)."""
    has_more = data.bool("has_more")
    cursor = data.str("next_page", required=False, nullable=True)
    if has_more and not cursor:
        raise ProviderDataError(f"{data.where}: has_more is true but next_page is empty")
    return cursor if has_more else None


def identity(obj: JSON) -> bytes:
    """What tells a record from another when the provider gives it no id: a digest of its
    canonical JSON (so a record served twice, on a repeated page, is recognised)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class Seen:
    """The records (by identity) and cursors one pull has already read."""

    def __init__(self) -> None:
        self.records: set[bytes] = set()
        self.cursors: set[str] = set()

    def before(self, item: JSON) -> bool:
        """Whether this record was read before in the pull (noting it if not)."""
        key = identity(item)
        if key in self.records:
            return True
        self.records.add(key)
        return False

    def again(self, cursor: str | None, where: str) -> bool:
        """Whether cursor was followed before in this pull: a provider handing back an earlier
        cursor would have us loop forever, and its pages are already read."""
        if cursor is None:
            return False
        if cursor in self.cursors:
            log.warning("%s: the provider gave a cursor it gave before; stopping there", where)
            return True
        self.cursors.add(cursor)
        return False


def add_up(
    sums: dict[tuple[dt.date, str, str], UsageRecord], records: Iterable[UsageRecord]
) -> None:
    """Sum records into sums by (day, account, model) as they are read, so memory grows with
    the keys, not the rows (the same sum record_usage makes: a cost is known only if every
    part's is)."""
    for r in records:
        key = (r.day, r.account, r.model)
        if (prev := sums.get(key)) is not None:
            r = replace(
                r,
                input=prev.input + r.input,
                cache_read=prev.cache_read + r.cache_read,
                cache_write=prev.cache_write + r.cache_write,
                output=prev.output + r.output,
                requests=prev.requests + r.requests,
                cost=None if prev.cost is None or r.cost is None else prev.cost + r.cost,
            )
        sums[key] = r


def bucket_pages(
    client: JsonClient,
    path: str,
    params: dict[str, ParamValue],
    *,
    day_of: Callable[[Reader], dt.date],
    read_result: Callable[[JSON, str, dt.date], list[UsageRecord]],
) -> Iterator[Batch]:
    """Daily buckets ({data: [{results}], has_more, next_page}), a Batch per page, following
    the cursor with the other parameters unchanged (OpenAI's and Anthropic's usage reports).
    A page read twice writes the same facts twice (facts are upserted, not added), and an
    earlier cursor handed back ends the pages."""
    cursor: str | None = None
    seen = Seen()
    page = 0
    while True:
        page += 1
        body = client.get(path, **params, **({"page": cursor} if cursor else {}))
        batch = Batch()
        with keeping(body):
            data = Reader(body, f"page {page}")
            for b, item in enumerate(data.list("data"), start=1):
                bucket = Reader(item, f"page {page}, bucket {b}")
                day = day_of(bucket)

                def read(obj: JSON, where: str, day: dt.date = day) -> list[UsageRecord]:
                    return read_result(obj, where, day)

                records, rejected = read_rows(
                    bucket.list("results"), f"{bucket.where}, result", read
                )
                batch.records += records
                batch.rejected += rejected
            cursor = next_cursor(data)
        yield batch
        if cursor is None or seen.again(cursor, data.where):
            return


def list_pages[T](
    client: JsonClient,
    path: str,
    what: str,
    read: Callable[[JSON, str], list[T]],
    *,
    cursor: str,
    limit: int,
    **params: ParamValue,
) -> tuple[list[T], list[Rejection]]:
    """Every item of an id-paged list ({data, has_more, last_id}), following `cursor` (OpenAI's
    `after`, Anthropic's `after_id`); an item or cursor served twice is read once."""
    items: list[T] = []
    rejected: list[Rejection] = []
    last: str | None = None
    seen = Seen()
    page = 0
    while True:
        page += 1
        raw = client.get(path, limit=limit, **params, **({cursor: last} if last else {}))
        with keeping(raw):
            body = Reader(raw, f"{what} page {page}")
            found, bad = read_rows(body.list("data"), f"{body.where}, item", read, skip=seen.before)
            items += found
            rejected += bad
            if not body.bool("has_more"):
                return items, rejected
            last = body.str("last_id")
            if seen.again(last, body.where):
                return items, rejected


def user_pages(client: JsonClient, path: str, *, after: str) -> Directory:
    """A users list ({data, has_more, last_id}) followed to its end with the `after` parameter."""
    accounts, rejected = list_pages(client, path, "users", read_user, cursor=after, limit=100)
    return Directory(accounts, rejected)


def read_user(obj: JSON, where: str) -> list[AccountRecord]:
    """A user of a users list: id, and e-mail and name when known."""
    user = Reader(obj, where)
    return [
        AccountRecord(
            external_id=user.str("id") or "",
            email=user.str("email", required=False, nullable=True) or "",
            name=user.str("name", required=False, nullable=True) or "",
        )
    ]
