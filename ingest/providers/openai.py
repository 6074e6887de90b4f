"""OpenAI Admin API: completions usage by actor and model; users and project keys name them.

Reference (openai/openai-openapi, rendered at https://platform.openai.com/docs/api-reference):
GET /v1/organization/usage/completions, GET /v1/organization/users,
GET /v1/organization/projects and GET /v1/organization/projects/{project_id}/api_keys.

A row names its user (`user_id`) or only its key (`api_key_id`); a project key's `owner` is
a user (with an e-mail) or a service account, which is an agent and never a person. A user
the users list lacks, or lists with `email: null`, is known by the keys they own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from ingest.records import Batch, Directory, Rejection
from leaderboard.domain.records import UNATTRIBUTED, AccountRecord, UsageRecord

from . import parsing
from .http import JSON, JsonClient, ParamValue, ProviderDataError
from .parsing import Reader, bucket_pages

DEFAULT_BASE_URL = "https://api.openai.com"
USAGE_PATH = "/v1/organization/usage/completions"
USERS_PATH = "/v1/organization/users"
PROJECTS_PATH = "/v1/organization/projects"
PROJECT_KEYS_PATH = "/v1/organization/projects/{project_id}/api_keys"
MAX_DAILY_BUCKETS = 31  # the API's limit for bucket_width=1d
PAGE_SIZE = 100  # lists: "Limit can range between 1 and 100"
STANDARD_TIERS = {"default": "standard"}


def epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def read_user(obj: JSON, where: str) -> list[AccountRecord]:
    """A user of the users list; one that "is a service account" is an agent."""
    user = Reader(obj, where)
    agent = user.bool("is_service_account", required=False)
    return [
        AccountRecord(
            external_id=user.str("id") or "",
            email="" if agent else (user.str("email", required=False, nullable=True) or ""),
            name=user.str("name", required=False, nullable=True) or "",
            kind="agent" if agent else "user",
        )
    ]


def read_project(obj: JSON, where: str) -> list[str]:
    return [Reader(obj, where).str("id") or ""]


def read_project_key(obj: JSON, where: str) -> list[tuple[str, AccountRecord]]:
    """(key id, the account its owner is): a user with their e-mail, or a service account."""
    key = Reader(obj, where)
    owner = key.object("owner")
    kind = owner.str("type")
    if kind == "user":
        user = owner.object("user")
        account = AccountRecord(
            external_id=user.str("id") or "",
            email=user.str("email", required=False, nullable=True) or "",
            name=user.str("name", required=False, nullable=True) or "",
        )
    elif kind == "service_account":
        service_account = owner.object("service_account")
        account = AccountRecord(
            external_id=service_account.str("id") or "",
            name=service_account.str("name", required=False, nullable=True) or "",
            kind="agent",
        )
    else:
        raise ProviderDataError(f"{owner.where}: unknown owner type {kind!r}")
    if not account.external_id:
        raise ProviderDataError(f"{owner.where}: the owner has no id")
    return [(key.str("id") or "", account)]


def list_pages[T](
    client: JsonClient,
    path: str,
    what: str,
    read: Callable[[JSON, str], list[T]],
    **params: ParamValue,
) -> tuple[list[T], list[Rejection]]:
    """Every item of a list ({data, has_more, last_id}), following `after`."""
    return parsing.list_pages(client, path, what, read, cursor="after", limit=PAGE_SIZE, **params)


@dataclass
class Actors:
    """The organisation's accounts by id, and each project key's owner."""

    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    keys: dict[str, AccountRecord] = field(default_factory=dict)

    def of_result(self, result: Reader) -> AccountRecord:
        """A row's account: its user; else its key's owner (a key not listed stays a key of
        its own); usage with neither is unattributed."""
        if user := result.str("user_id", required=False, nullable=True):
            return self.accounts.get(user) or AccountRecord(external_id=user)
        if key := result.str("api_key_id", required=False, nullable=True):
            owner = self.keys.get(key)
            if owner is None:
                return AccountRecord(external_id=key, kind="api_key")
            return self.accounts.get(owner.external_id, owner)
        return AccountRecord(external_id=UNATTRIBUTED, kind="unattributed")


def read_result(
    obj: JSON, where: str, day: dt.date, actors: Actors | None = None
) -> list[UsageRecord]:
    """One completions result; input excludes cached and cache-write tokens."""
    result = Reader(obj, where)
    total_input = result.int("input_tokens")
    cache_read = result.int("input_cached_tokens", required=False)
    cache_write = result.int("input_cache_write_tokens", required=False)
    plain_input = total_input - cache_read - cache_write
    if plain_input < 0:
        raise ProviderDataError(
            f"{where}: input_tokens ({total_input}) is less than cached plus cache-write "
            f"tokens ({cache_read} + {cache_write})"
        )
    model = result.str("model", required=False, nullable=True)
    account = (actors or Actors()).of_result(result)
    tier = (result.str("service_tier", required=False, nullable=True) or "").lower()
    if result.bool("batch", required=False):
        tier = "batch"
    return [
        UsageRecord(
            day=day,
            account=account.external_id,
            account_kind=account.kind,
            email=account.email,
            model=model or "unknown",
            input=plain_input,
            cache_read=cache_read,
            cache_write=cache_write,
            output=result.int("output_tokens"),
            requests=result.int("num_model_requests"),
            # the spec's example tier is "default": the standard rates
            service_tier=STANDARD_TIERS.get(tier, tier),
        )
    ]


class OpenAIAdapter:
    """Pulls one OpenAI organisation."""

    def __init__(self, *, base_url: str, api_key: str, client: JsonClient | None = None) -> None:
        self.client = client or JsonClient(
            base_url=base_url, headers={"authorization": f"Bearer {api_key}"}, secret=api_key
        )
        self.actors: Actors | None = None

    def accounts(self) -> Directory:
        """The users, completed by the project keys' owners: a user missing from the users
        list, or listed without an e-mail, has the e-mail their keys give; service accounts
        are agents. Every list is read once a pull; usage() resolves keys with them."""
        users, rejected = list_pages(self.client, USERS_PATH, "users", read_user)
        projects, bad = list_pages(
            self.client, PROJECTS_PATH, "projects", read_project, include_archived="true"
        )
        rejected += bad
        actors = Actors(accounts={u.external_id: u for u in users})
        for project in projects:
            keys, bad = list_pages(
                self.client,
                PROJECT_KEYS_PATH.format(project_id=project),
                f"project {project} api keys",
                read_project_key,
                # every enabled key; without it "may exclude some enabled keys"
                owner_project_access="any",
            )
            rejected += bad
            for key, owner in keys:
                actors.keys[key] = owner
                known = actors.accounts.get(owner.external_id)
                if known is None:
                    actors.accounts[owner.external_id] = owner
                elif known.kind == "user" and not known.email and owner.email:
                    actors.accounts[owner.external_id] = replace(known, email=owner.email)
        self.actors = actors
        return Directory(list(actors.accounts.values()), rejected)

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        """Daily buckets for [start, end], one batch per API page."""
        params: dict[str, ParamValue] = {
            "start_time": epoch(start),
            "end_time": epoch(end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            # every actor dimension: the user, the key, the key's project; batch and
            # service_tier only for pricing: the rows of one account, model and day are
            # summed into one fact
            "group_by[]": ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"],
            "limit": MAX_DAILY_BUCKETS,
        }
        if self.actors is None:
            self.accounts()
        actors = self.actors
        return bucket_pages(
            self.client,
            USAGE_PATH,
            params,
            day_of=lambda b: dt.datetime.fromtimestamp(b.int("start_time"), tz=dt.UTC).date(),
            read_result=lambda obj, where, day: read_result(obj, where, day, actors),
        )

    def check(self) -> str:
        """Make one cheap authenticated call; say what it found."""
        body = Reader(self.client.get(USERS_PATH, limit=1), "users page 1")
        return f"OpenAI answered; the key can list users ({len(body.list('data'))} shown)."

    def close(self) -> None:
        self.client.close()
