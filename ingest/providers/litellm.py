"""LiteLLM proxy: each internal user's daily activity by model, spend as billed; its users.

Reference: the proxy's own source, BerriAI/litellm (no separate API reference exists; the
proxy serves its Swagger at /docs from these handlers):
- GET /user/daily/activity, litellm/proxy/management_endpoints/daily_activity_scopes.py
  (`_user_query`, commit 0d99b11d3e90bc535f29eeeeaac1604820ec8c56): start_date, end_date
  "Start date in YYYY-MM-DD format", model, api_key, user_id "Filter by specific user ID.
  Admins can filter by any user or omit for global view.", timezone,
  include_current_utc_day; and internal_user_endpoints.py (commit
  1611cbc3ecf4c8ac06cdbe6031063c8ae79d0f4d): page `ge=1`, page_size `default=50 ... ge=1,
  le=1000`, "Returns: (by date) - spend - prompt_tokens - completion_tokens -
  cache_read_input_tokens - cache_creation_input_tokens - total_tokens - api_requests -
  breakdown by model, api_key, provider".
- The response, litellm/types/proxy/management_endpoints/common_daily_activity.py (commit
  05d54f54463f6905c753f496692ac850710f20e1): SpendAnalyticsPaginatedResponse {results:
  [DailySpendData {date, metrics: SpendMetrics, breakdown: {models: {name: {metrics}}, ...}}],
  metadata: DailySpendMetadata {..., page, total_pages, has_more}}.
- Pages are rows of the daily spend table, not days: common_daily_activity.py
  (`get_daily_activity`, commit 003909d325afc09c446a96b2730871c7f3868f33) reads
  `find_many(..., order=[{"date": "desc"}, {"id": "asc"}], skip=(page - 1) * page_size,
  take=page_size)` and groups that page's rows by date, so one day can come in parts on
  two pages: the parts are summed here. A row without a model counts in the day's metrics
  but in no `breakdown.models` entry (`if model_key:`): that remainder is model "unknown".
- GET /user/list (internal_user_endpoints.py, commit 1611cbc3...): page `ge=1`, page_size
  `default=25, ge=1, le=100`, sort_by, sort_order; answers {"users": [...], "total", "page",
  "page_size", "total_pages"}, each user a LiteLLM_UserTable row with user_id, user_email.

Who: a user with a `user_email` is credited by it; one without stays an account no person
is named for. Usage of keys with no user (team and service keys, the master key's) is the
global view's figures less every listed user's: it goes to the unattributed account.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from ingest.records import Batch, Directory, Rejection
from leaderboard.domain.records import UNATTRIBUTED, AccountRecord, UsageRecord

from .http import JSON, JsonClient, ParamValue, ProviderDataError
from .parsing import Reader, Seen, keeping, read_rows

DEFAULT_BASE_URL = ""  # a self-hosted proxy: every connection names its own
ACTIVITY_PATH = "/user/daily/activity"
USERS_PATH = "/user/list"
USERS_PAGE_SIZE = 100  # /user/list: le=100
ACTIVITY_PAGE_SIZE = 1000  # /user/daily/activity: le=1000
UNKNOWN_MODEL = "unknown"
# LiteLLM sums spend as floats (update_metrics: `existing_metrics.spend += record.spend`), so
# a day's spend and the sum of its models' can differ in the last bits; below this many
# dollars a difference is that, not a model-less row.
SPEND_NOISE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Metrics:
    """The SpendMetrics fields Tokenboard reads, as LiteLLM reports them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    api_requests: int = 0
    spend: Decimal = Decimal(0)

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Metrics) -> Metrics:
        return Metrics(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "spend")

    @property
    def empty(self) -> bool:
        return not any(self.counts()) and abs(self.spend) < SPEND_NOISE


def floored(m: Metrics) -> Metrics:
    """m with every count and the spend at least 0."""
    return Metrics(
        prompt_tokens=max(0, m.prompt_tokens),
        completion_tokens=max(0, m.completion_tokens),
        cache_read_input_tokens=max(0, m.cache_read_input_tokens),
        cache_creation_input_tokens=max(0, m.cache_creation_input_tokens),
        api_requests=max(0, m.api_requests),
        spend=max(Decimal(0), m.spend),
    )


def read_metrics(metrics: Reader) -> Metrics:
    return Metrics(
        prompt_tokens=metrics.int("prompt_tokens"),
        completion_tokens=metrics.int("completion_tokens"),
        cache_read_input_tokens=metrics.int("cache_read_input_tokens", required=False),
        cache_creation_input_tokens=metrics.int("cache_creation_input_tokens", required=False),
        api_requests=metrics.int("api_requests", required=False),
        # "spend: float" (SpendMetrics), in USD; the client reads JSON numbers with a
        # fraction as Decimal and Reader.decimal takes Decimal(str(value)): exact, no float.
        spend=metrics.decimal("spend") or Decimal(0),
    )


def input_tokens(m: Metrics) -> int:
    """Uncached input: LiteLLM's prompt_tokens less the cache reads and writes it includes.

    LiteLLM reports usage in OpenAI's shape, where prompt_tokens includes cached tokens
    (OpenAI's `prompt_tokens_details.cached_tokens` are part of `prompt_tokens`), and brings
    Anthropic's to it: litellm/llms/anthropic/chat/transformation.py, `calculate_usage`:
    `cache_creation_input_tokens = _usage["cache_creation_input_tokens"]; prompt_tokens +=
    cache_creation_input_tokens` and `cache_read_input_tokens = ...; prompt_tokens +=
    cache_read_input_tokens`. The daily tables sum the spend logs' prompt_tokens and cache
    fields as they are, so input = prompt - cache read - cache creation.
    UNCONFIRMED for every other upstream (Bedrock, Vertex, Gemini...): where the three do
    not fit (prompt_tokens below the cache tokens, so the provider reported them apart),
    prompt_tokens is taken as the uncached input.
    """
    rest = m.prompt_tokens - m.cache_read_input_tokens - m.cache_creation_input_tokens
    return rest if rest >= 0 else m.prompt_tokens


type DayModel = tuple[dt.date, str]


def read_day(obj: JSON, where: str) -> list[tuple[DayModel, Metrics]]:
    """One result (one day of one page): its models' metrics, and the day's metrics less
    theirs as model "unknown" (rows without a model)."""
    result = Reader(obj, where)
    day = result.utc_day("date")
    total = read_metrics(result.object("metrics"))
    breakdown = result.object("breakdown", required=False)
    models = breakdown.object("models", required=False) if breakdown else None
    parts: list[tuple[DayModel, Metrics]] = []
    for name, entry in (models.obj if models else {}).items():
        if not name.strip():
            raise ProviderDataError(f"{where}: a model in breakdown.models has no name")
        part = read_metrics(Reader(entry, f"{where}, model {name!r}").object("metrics"))
        parts.append(((day, name), part))
    rest = total - sum((m for _, m in parts), Metrics())
    if any(n < 0 for n in rest.counts()) or rest.spend <= -SPEND_NOISE:
        raise ProviderDataError(f"{where}: the models' figures add up to more than the day's")
    if not rest.empty:
        parts.append(((day, UNKNOWN_MODEL), rest))
    elif parts:
        # float noise only: the last model takes it, so the models sum to the day's spend
        key, last = parts[-1]
        parts[-1] = (key, replace(last, spend=max(Decimal(0), last.spend + rest.spend)))
    return parts


def read_user(obj: JSON, where: str) -> list[AccountRecord]:
    user = Reader(obj, where)
    user_id = user.str("user_id")
    if not user_id.strip():
        raise ProviderDataError(f"{where}: user_id is empty")
    return [
        AccountRecord(
            external_id=user_id,
            email=(user.str("user_email", required=False, nullable=True) or "").strip().lower(),
            name=user.str("user_alias", required=False, nullable=True) or "",
        )
    ]


def records_of(
    sums: dict[DayModel, Metrics], *, account: str, kind: str, email: str = ""
) -> list[UsageRecord]:
    return [
        UsageRecord(
            day=day,
            account=account,
            account_kind=kind,
            email=email,
            model=model,
            input=input_tokens(m),
            cache_read=m.cache_read_input_tokens,
            cache_write=m.cache_creation_input_tokens,
            output=m.completion_tokens,
            requests=m.api_requests,
            cost=m.spend,
        )
        for (day, model), m in sorted(sums.items())
        if not m.empty
    ]


@dataclass
class Query:
    """One daily-activity query read to its last page."""

    sums: dict[DayModel, Metrics] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)

    def unsure_days(self) -> set[dt.date] | None:
        """The days of its rejected results; None if one's day cannot be told."""
        days = set()
        for r in self.rejected:
            try:
                days.add(Reader(json.loads(r.raw), r.location).utc_day("date"))
            except (ProviderDataError, ValueError):
                return None
        return days


class LiteLLMAdapter:
    """Pulls one LiteLLM proxy with a proxy admin key (the master key or a proxy_admin's)."""

    users_page_size = USERS_PAGE_SIZE
    activity_page_size = ACTIVITY_PAGE_SIZE

    def __init__(self, *, base_url: str, api_key: str) -> None:
        # user_api_key_auth reads `Authorization: Bearer <key>` (also x-litellm-api-key)
        self.client = JsonClient(
            base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, secret=api_key
        )
        self.directory: Directory | None = None

    def accounts(self) -> Directory:
        """Every page of /user/list, by user_id so pages hold still; a user listed twice (a
        page shifted by a user added mid-listing) is read once."""
        accounts: list[AccountRecord] = []
        rejected: list[Rejection] = []
        seen = Seen()
        page = 1
        while True:
            raw = self.client.get(
                USERS_PATH,
                page=page,
                page_size=self.users_page_size,
                sort_by="user_id",
                sort_order="asc",
            )
            with keeping(raw):
                body = Reader(raw, f"users page {page}")
                found, bad = read_rows(
                    body.list("users"), f"{body.where}, user", read_user, skip=seen.before
                )
                last = page >= body.int("total_pages")
            accounts += found
            rejected += bad
            if last:
                break
            page += 1
        unique = {a.external_id: a for a in accounts}
        self.directory = Directory(list(unique.values()), rejected)
        return self.directory

    def _activity(
        self, start: dt.date, end: dt.date, **scope: ParamValue
    ) -> Iterator[Query | None]:
        """Every page of one daily-activity query: None after each page but the last, then
        the whole query's sums."""
        query = Query()
        where_of = f"{scope.get('user_id', 'all users')}, {start}..{end}"
        page = 1
        while True:
            raw = self.client.get(
                ACTIVITY_PATH,
                start_date=start.isoformat(),
                end_date=end.isoformat(),
                **scope,
                page=page,
                page_size=self.activity_page_size,
            )
            with keeping(raw):
                body = Reader(raw, f"{where_of} page {page}")
                parts, bad = read_rows(body.list("results"), f"{body.where}, day", read_day)
                metadata = body.object("metadata")
                # pages are numbered: total_pages bounds them even if has_more stays true
                more = metadata.bool("has_more") and page < metadata.int("total_pages")
            for key, m in parts:
                query.sums[key] = query.sums.get(key, Metrics()) + m
            query.rejected += bad
            if not more:
                yield query
                return
            yield None
            page += 1

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        """The global view first, then each user's; a user's facts come in one batch (a
        (day, account, model) key never spans two), the rest of the global view last."""
        directory = self.directory or self.accounts()
        everyone = Query()
        for done in self._activity(start, end):
            if done is None:
                yield Batch()
            else:
                everyone = done
        listed: dict[DayModel, Metrics] = {}
        unsure = everyone.unsure_days()
        for user in directory.accounts:
            for query in self._activity(start, end, user_id=user.external_id):
                if query is None:
                    yield Batch()
                    continue
                unsure = (
                    None if unsure is None or (bad := query.unsure_days()) is None else unsure | bad
                )
                for key, m in query.sums.items():
                    listed[key] = listed.get(key, Metrics()) + m
                yield Batch(
                    records_of(query.sums, account=user.external_id, kind="user", email=user.email),
                    query.rejected,
                )
        # Keys with no user, and users no longer listed: what the global view has beyond the
        # listed users'. Users are read after it, so spend written in between makes a user's
        # figure the larger: each count is floored at 0 (the next pull reads the day again).
        # A day with a rejected result is left out (its remainder would hold that usage);
        # all days are, if a rejected result's day cannot be told.
        rest: dict[DayModel, Metrics] = {}
        for key, m in everyone.sums.items():
            if unsure is None or key[0] in unsure:
                continue
            theirs = listed.get(key, Metrics())
            rest[key] = floored(m - theirs)
        yield Batch(records_of(rest, account=UNATTRIBUTED, kind="unattributed"), everyone.rejected)

    def check(self) -> str:
        raw = self.client.get(USERS_PATH, page=1, page_size=1)
        total = Reader(raw, "users").int("total")
        return f"LiteLLM answered; the key can list the proxy's users ({total})."

    def close(self) -> None:
        self.client.close()
