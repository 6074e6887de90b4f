"""Anthropic Admin API: Messages usage by actor and model; users and API keys name the actors.

Reference: GET /v1/organizations/usage_report/messages, GET /v1/organizations/users and
GET /v1/organizations/api_keys
(https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages,
https://platform.claude.com/docs/en/api/admin/api_keys/list).

The report fills `account_id` "for OAuth requests" only; API-key traffic carries
`api_key_id`, and workload-identity traffic `service_account_id`. A key's `principal` says
whom it "acts as": a user (their usage) or a service account (an agent, never its creator).
Service accounts are known by id only: listing them needs an `org:admin` OAuth token
("Admin API keys are not accepted"), which a connection does not hold.

The Messages report is "[Legacy]": a pull reads the Usage and Cost Analytics API
(anthropic_analytics) when the organisation and key can, and this report only when that
endpoint answers 404 or 403; `AnthropicAdapter.path` says which one it read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ingest.records import Batch, Directory, Rejection
from leaderboard.domain.records import UNATTRIBUTED, AccountRecord, UsageRecord

from .anthropic_analytics import CLAUDE_CODE, FALLBACK_STATUSES, AnalyticsReport
from .http import JSON, JsonClient, ParamValue, ProviderDataError, ProviderRejected
from .parsing import Reader, bucket_pages, list_pages, user_pages

DEFAULT_BASE_URL = "https://api.anthropic.com"
USAGE_PATH = "/v1/organizations/usage_report/messages"
USERS_PATH = "/v1/organizations/users"
API_KEYS_PATH = "/v1/organizations/api_keys"
API_KEYS_PAGE = 1000  # "Ranges from `1` to `1000`."
API_VERSION = "2023-06-01"
MAX_DAILY_BUCKETS = 31
ANALYTICS, LEGACY = "analytics", "legacy"  # ingest.models.ReportPath


def anthropic_client(base_url: str, api_key: str) -> JsonClient:
    return JsonClient(
        base_url=base_url,
        headers={"x-api-key": api_key, "anthropic-version": API_VERSION},
        secret=api_key,
    )


def rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# The Messages report's context_window values: every prompt of a "200k-1M" row was longer
# than 200k tokens (pricing applies a model's long-context multipliers from its threshold).
PROMPT_OVER = {"0-200k": 0, "200k-1M": 200_000}


@dataclass(frozen=True)
class ApiKey:
    """An API key as the keys list describes it."""

    id: str
    name: str
    acts_as: str | None  # the principal's type, "user" or "service_account"; None: no one
    principal: str  # the principal's id (a user id or a service account id), or ""
    creator: str  # the id of the user who created it, or ""


def read_api_key(obj: JSON, where: str) -> list[ApiKey]:
    key = Reader(obj, where)
    principal = key.object("principal", required=False)
    acts_as = None
    if principal is not None:
        acts_as = principal.str("type")
        if acts_as not in ("user", "service_account"):
            raise ProviderDataError(f"{principal.where}: unknown principal type {acts_as!r}")
    created_by = key.object("created_by", required=False)  # null for legacy keys
    creator = ""
    if created_by is not None and created_by.str("type", required=False, nullable=True) == "user":
        creator = created_by.str("id") or ""
    return [
        ApiKey(
            id=key.str("id") or "",
            name=key.str("name", required=False, nullable=True) or "",
            acts_as=acts_as,
            principal=(principal.str("id") or "") if principal is not None else "",
            creator=creator,
        )
    ]


def api_keys(client: JsonClient) -> tuple[list[ApiKey], list[Rejection]]:
    """Every API key of the organisation (any status), following after_id."""
    return list_pages(
        client, API_KEYS_PATH, "api keys", read_api_key, cursor="after_id", limit=API_KEYS_PAGE
    )


@dataclass
class Actors:
    """Who is who in one organisation: users' e-mails, and whom each API key acts as."""

    emails: dict[str, str] = field(default_factory=dict)  # user id -> e-mail (lower case)
    keys: dict[str, ApiKey] = field(default_factory=dict)  # key id -> key
    owners: dict[str, str] = field(default_factory=dict)  # service account id -> creator

    @classmethod
    def of(cls, users: Directory, keys: list[ApiKey]) -> Actors:
        emails = {a.external_id: a.email.strip().lower() for a in users.accounts if a.email}
        owners: dict[str, str] = {}
        for key in keys:
            if key.acts_as == "service_account" and emails.get(key.creator):
                owners.setdefault(key.principal, emails[key.creator])
        return cls(emails=emails, keys={k.id: k for k in keys}, owners=owners)

    def agent(self, service_account: str) -> AccountRecord:
        """A service account: an agent, known by id only (its name needs an OAuth token)."""
        return AccountRecord(
            external_id=service_account,
            kind="agent",
            owner_email=self.owners.get(service_account, ""),
        )

    def key_account(self, key: ApiKey) -> AccountRecord:
        """The account a key's usage belongs to: its principal's, or the key's own."""
        if key.acts_as == "user":
            return AccountRecord(
                external_id=key.principal, email=self.emails.get(key.principal, "")
            )
        if key.acts_as == "service_account":
            return self.agent(key.principal)
        # Bound to no one: not known to act as its creator, so never credited to them.
        return AccountRecord(
            external_id=key.id,
            name=f"API key {key.name}" if key.name else "",
            kind="api_key",
            owner_email=self.emails.get(key.creator, ""),
        )

    def directory(self) -> list[AccountRecord]:
        """The accounts the keys add to the users list: agents and keys bound to no one."""
        return [self.key_account(k) for k in self.keys.values() if k.acts_as != "user"]

    def of_result(self, result: Reader) -> AccountRecord:
        """The account of a Messages report result: its user, its service account, or the
        API key's principal; usage with none of them is unattributed."""
        if user := result.str("account_id", required=False, nullable=True):
            return AccountRecord(external_id=user, email=self.emails.get(user, ""))
        if service_account := result.str("service_account_id", required=False, nullable=True):
            return self.agent(service_account)
        if key_id := result.str("api_key_id", required=False, nullable=True):
            if (key := self.keys.get(key_id)) is not None:
                return self.key_account(key)
            return AccountRecord(external_id=key_id, kind="api_key")  # a key not listed
        return AccountRecord(external_id=UNATTRIBUTED, kind="unattributed")


def read_result(
    obj: JSON, where: str, day: dt.date, actors: Actors | None = None
) -> list[UsageRecord]:
    """One result; uncached input excludes both cache reads and cache writes."""
    result = Reader(obj, where)
    creation = result.object("cache_creation", required=False)
    write_1h = write_5m = 0
    if creation is not None:
        write_1h = creation.int("ephemeral_1h_input_tokens", required=False)
        write_5m = creation.int("ephemeral_5m_input_tokens", required=False)
    context = result.str("context_window", required=False, nullable=True) or ""
    account = (actors or Actors()).of_result(result)
    # OAuth traffic (account_id) is mostly Claude Code, which its report lists again; a key
    # acting as a user is credited to that user too, but it is not OAuth
    oauth = result.str("account_id", required=False, nullable=True)
    return [
        UsageRecord(
            day=day,
            account=account.external_id,
            account_kind=account.kind,
            email=account.email,
            owner_email=account.owner_email,
            model=result.str("model", required=False, nullable=True) or "unknown",
            input=result.int("uncached_input_tokens"),
            cache_read=result.int("cache_read_input_tokens", required=False),
            cache_write=write_1h + write_5m,
            output=result.int("output_tokens"),
            requests=0,  # the Messages report has no request count
            cache_write_1h=write_1h,
            # batch, flex, priority, standard as pricing names them; the others
            # (flex_discount, priority_on_demand) have no list price and stay unpriced
            service_tier=result.str("service_tier", required=False, nullable=True) or "",
            prompt_over=PROMPT_OVER.get(context, 0),
            inference_geo=result.str("inference_geo", required=False, nullable=True) or "",
            overlap=CLAUDE_CODE if oauth else "",
        )
    ]


def users_directory(client: JsonClient) -> Directory:
    """Every user of the organisation, following after_id."""
    return user_pages(client, USERS_PATH, after="after_id")


class AnthropicAdapter:
    """Pulls one Anthropic organisation's usage: from the Usage and Cost Analytics API when
    it answers, else from the legacy Messages report.

    `report_path` "legacy" skips the analytics probe (the pull service passes it for a day
    after a probe failed); `path` is the report read, `probed` whether this pull probed.
    """

    def __init__(self, *, base_url: str, api_key: str, report_path: str = "") -> None:
        self.client = anthropic_client(base_url, api_key)
        self.actors: Actors | None = None
        self.path = LEGACY if report_path == LEGACY else ""
        self.probed = False
        self.unavailable = ""  # what the analytics endpoint answered, when it did not serve

    @property
    def analytics(self) -> AnalyticsReport:
        return AnalyticsReport(self.client)

    def report(self) -> str:
        """The report this pull reads, probing the analytics endpoint once if need be."""
        if not self.path:
            self.probed = True
            try:
                self.analytics.probe(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
                self.path = ANALYTICS
            except ProviderRejected as exc:
                if exc.status not in FALLBACK_STATUSES:
                    raise
                self.path, self.unavailable = LEGACY, str(exc)
        return self.path

    @contextmanager
    def _legacy(self) -> Iterator[None]:
        """A legacy call; if it refuses the key after the analytics endpoint did too, say
        both (an Analytics API key can call nothing but the analytics endpoints)."""
        try:
            yield
        except ProviderRejected as exc:
            if not (self.unavailable and exc.bad_key):
                raise
            raise ProviderRejected(
                f"the Usage and Cost Analytics API is not available to this key or "
                f"organisation ({self.unavailable}), and the legacy reports refused the key "
                f"({exc}). An Analytics API key (read:analytics, e.g. Claude Enterprise) can "
                "read only /v1/organizations/analytics/*; the Messages report needs an Admin "
                "API key (sk-ant-admin…)",
                status=exc.status,
                raw=exc.raw,
            ) from exc

    def accounts(self) -> Directory:
        """The users, and the agents and unbound keys the keys list names (listed once a
        pull: usage() resolves keys with the same lists); none on the analytics path, whose
        rows name their actors, e-mails included."""
        if self.report() == ANALYTICS:
            return Directory()
        with self._legacy():
            directory = users_directory(self.client)
            keys, rejected = api_keys(self.client)
        self.actors = Actors.of(directory, keys)
        directory.accounts += self.actors.directory()
        directory.rejected += rejected
        return directory

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        if self.report() == ANALYTICS:
            return self.analytics.usage(start, end)
        return self._legacy_usage(start, end)

    def _legacy_usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        params: dict[str, ParamValue] = {
            "starting_at": rfc3339(start),
            "ending_at": rfc3339(end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            # every actor dimension: a user (OAuth), an API key, a service account (OIDC);
            # service_tier, context_window and inference_geo only for pricing: the rows of
            # one account, model and day are summed into one fact
            "group_by[]": [
                "account_id",
                "api_key_id",
                "service_account_id",
                "model",
                "service_tier",
                "context_window",
                "inference_geo",
            ],
            "limit": MAX_DAILY_BUCKETS,
        }
        if self.actors is None:
            self.accounts()
        actors = self.actors
        return bucket_pages(
            self.client,
            USAGE_PATH,
            params,
            day_of=lambda bucket: bucket.timestamp("starting_at"),
            read_result=lambda obj, where, day: read_result(obj, where, day, actors),
        )

    def check(self) -> str:
        if self.report() == ANALYTICS:
            return "Anthropic answered; pulls read the Usage and Cost Analytics API."
        with self._legacy():
            body = Reader(self.client.get(USERS_PATH, limit=1), "users page 1")
        return (
            f"Anthropic answered; the key can list users ({len(body.list('data'))} shown). "
            f"Pulls read the legacy Messages report: {self.unavailable or 'chosen earlier'}."
        )

    def close(self) -> None:
        self.client.close()
