"""GitHub Copilot: the per-user daily usage metrics report, the premium request bill per user,
and the SAML identities that turn GitHub logins into e-mail addresses.

A connection reads one enterprise or one organization, named by its tenant: `enterprise/<slug>`
or `org/<slug>`. Endpoints used, and why (all from the REST reference,
https://docs.github.com/en/rest/copilot/copilot-usage-metrics and
https://docs.github.com/en/enterprise-cloud@latest/rest/billing/usage, as the OpenAPI-derived
github/docs src/rest/data/{fpt,ghec}-2026-03-10/{copilot,billing}.json state them):

- GET /enterprises/{enterprise}/copilot/metrics/reports/users-1-day?day=YYYY-MM-DD, or
  GET /orgs/{org}/copilot/metrics/reports/users-1-day?day=YYYY-MM-DD ("Get Copilot users usage
  metrics for a specific day"): `day` "The day to request data for, in `YYYY-MM-DD` format."
  (required). It answers `{"download_links": [uri...], "report_day": "YYYY-MM-DD"}` (both
  required), "signed URLs with a limited expiration time"; "The report covers a complete day
  for which data has been processed. Reports are available starting from October 10, 2025,
  and historical data can be accessed for up to 1 year from the current date." The
  organization form may answer 204 "A header with no content is returned." (nothing to
  report). The per-user rows are in the NDJSON files behind the links ("the REST endpoint
  does not return them inline", .../copilot-usage-metrics/team-level-metrics). The links point
  to another host and are signed: they are fetched through the same SSRF guard, retries and
  deadline, by a client that holds no token (the GitHub token never leaves for them). This is
  the one per-user, per-day source; the older /copilot/metrics endpoints aggregate over users.
- GET /enterprises/{enterprise}/settings/billing/premium_request/usage, or
  GET /organizations/{org}/settings/billing/premium_request/usage, with `user`, `year`,
  `month`, `day` ("Get billing premium request usage report"): `usageItems[]` with `model`,
  `grossQuantity`, `netAmount`... A day's bill for one login is asked for each login the day's
  metrics report names (the report is per user only through the `user` filter). The sum of
  `netAmount` ("Net amount of the usage line item.") is stored as that person-day's billed cost.
- POST /graphql, organization(login).samlIdentityProvider.externalIdentities, or
  enterprise(slug).ownerInfo.samlIdentityProvider.externalIdentities: `samlIdentity.nameId`
  and `user.login` (as github/platform-samples graphql/queries/org-saml-identities-*.graphql
  read them). A nameId that is an e-mail address gives the login's e-mail; without SAML (or
  without the permission) the directory import's `github_login` column maps logins instead.

What one user's row becomes (field words from https://docs.github.com/en/copilot/reference/
copilot-usage-metrics/copilot-usage-metrics, "API and export fields"):
- model "copilot": requests = `user_initiated_interaction_count` ("Number of explicit prompts
  sent to Copilot"), no tokens (the IDE metrics carry none), cost = the premium request bill;
- model "copilot-cli", when `totals_by_cli` is there ("Independent of IDE metrics—CLI usage is
  not reflected in other fields"): requests = `totals_by_cli.request_count`, input =
  `token_usage.prompt_tokens_sum`, output = `token_usage.output_tokens_sum`; its cost is 0, the
  day's bill being on the "copilot" row (the bill is per user, not per surface).
`totals_by_model_feature` would split chat by model, but the reference's example shows it
empty and never names its entries' fields: UNCONFIRMED, so it is not read. A login ending in
"[bot]" is automation (an agent).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import httpx

from ingest.records import Batch, Directory, Rejection, raw_text
from leaderboard.domain.records import AccountRecord, UsageRecord

from .http import JSON, JsonClient, ProviderDataError, ProviderRejected, ProviderUnavailable
from .parsing import Reader, keeping

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.github.com"
# https://docs.github.com/en/rest/about-the-rest-api/api-versions: the version a request asks
# for in X-GitHub-Api-Version.
API_VERSION = "2022-11-28"
FIRST_REPORT_DAY = dt.date(2025, 10, 10)  # "Reports are available starting from October 10, 2025"
HISTORY = dt.timedelta(days=365)  # "historical data can be accessed for up to 1 year"
SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
TENANT_FORM = "enterprise/<slug> or org/<name>"
GRAPHQL_PATH = "/graphql"
IDENTITIES = """
  samlIdentityProvider {
    externalIdentities(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { samlIdentity { nameId } user { login } }
    }
  }"""
ORG_QUERY = (
    "query($slug: String!, $after: String) { organization(login: $slug) {" + IDENTITIES + " } }"
)
ENTERPRISE_QUERY = (
    "query($slug: String!, $after: String) { enterprise(slug: $slug) { ownerInfo {"
    + IDENTITIES
    + " } } }"
)


def parse_tenant(tenant: str) -> tuple[str, str]:
    """("enterprise" or "org", slug) of a Copilot connection's tenant; ValueError if it is
    neither form."""
    kind, _, slug = tenant.strip().partition("/")
    if kind not in ("enterprise", "org") or not SLUG.fullmatch(slug):
        raise ValueError(
            f"a copilot tenant is {TENANT_FORM} (the enterprise's slug or the organization's "
            f"name as in its github.com URL), not {tenant.strip()[:80]!r}"
        )
    return kind, slug


def report_days(start: dt.date, end: dt.date, today: dt.date) -> list[dt.date]:
    """The days of [start, end] a users-1-day report can exist for: complete (before today,
    UTC), from October 10, 2025, and at most a year old."""
    first = max(start, FIRST_REPORT_DAY, today - HISTORY)
    last = min(end, today - dt.timedelta(days=1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def read_user_day(obj: JSON, where: str, day: dt.date) -> list[UsageRecord]:
    """One user's row of a day's report: their IDE interactions, and their CLI use if any."""
    row = Reader(obj, where)
    login = (row.str("user_login") or "").strip().lower()
    if not login:
        raise ProviderDataError(f"{where}: user_login is empty")
    if (reported := row.utc_day("day")) != day:
        raise ProviderDataError(f"{where}: a row of {reported} in the report of {day}")
    kind = "agent" if login.endswith("[bot]") else "user"
    records = [
        UsageRecord(
            day=day,
            account=login,
            model="copilot",
            requests=row.int("user_initiated_interaction_count"),
            account_kind=kind,
        )
    ]
    cli = row.object("totals_by_cli", required=False)
    if cli is not None:
        tokens = cli.object("token_usage", required=False)
        records.append(
            UsageRecord(
                day=day,
                account=login,
                model="copilot-cli",
                input=tokens.int("prompt_tokens_sum", required=False) if tokens else 0,
                output=tokens.int("output_tokens_sum", required=False) if tokens else 0,
                requests=cli.int("request_count", required=False),
                account_kind=kind,
            )
        )
    return records


def read_report(
    body: bytes, where: str, day: dt.date, seen: set[str] | None = None
) -> tuple[list[UsageRecord], list[Rejection]]:
    """Every row of one NDJSON report file: a line that is not a readable row is kept as a
    rejection with the line itself. (A line holding a JSON array is read as its rows: the
    reference's example schema shows the rows as an array.) The report has one row per user
    and day ("daily records at the enterprise, organization, or user scope"): a second row of
    a login already read (in `seen`, shared by a day's files) is kept as a rejection, never
    counted again."""
    seen = set() if seen is None else seen
    records: list[UsageRecord] = []
    rejected: list[Rejection] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        place = f"{where}, line {number}"
        try:
            value = json.loads(line, parse_float=Decimal)
        except ValueError as exc:
            reason = f"{place}: not JSON ({exc})"
            rejected.append(Rejection(location=place, reason=reason, raw=raw_text(line)))
            continue
        rows = value if isinstance(value, list) else [value]
        for i, row in enumerate(rows, start=1):
            at = place if len(rows) == 1 else f"{place}, row {i}"
            try:
                found = read_user_day(row, at, day)
                if found[0].account in seen:
                    raise ProviderDataError(
                        f"{at}: a second row for {found[0].account} on {day}; the report has "
                        "one per user and day, and the first was counted"
                    )
            except ProviderDataError as exc:
                rejected.append(Rejection(location=at, reason=str(exc), raw=raw_text(row)))
                continue
            seen.add(found[0].account)
            records += found
    return records, rejected


def read_bill(body: JSON, where: str) -> Decimal:
    """The net amount of a premium request usage report (all its line items)."""
    with keeping(body):
        report = Reader(body, where)
        total = Decimal(0)
        for i, item in enumerate(report.list("usageItems"), start=1):
            total += Reader(item, f"{where}, item {i}").decimal("netAmount") or Decimal(0)
    return total


def read_identity(obj: JSON, where: str) -> list[AccountRecord]:
    """A SAML identity linked to a GitHub user: its login, with the nameId as e-mail when the
    identity provider sends an address there (UNCONFIRMED: the nameId format is the IdP's)."""
    node = Reader(obj, where)
    user = node.object("user", required=False)
    saml = node.object("samlIdentity", required=False)
    if user is None:
        return []  # an identity no GitHub account has claimed yet
    login = (user.str("login") or "").strip().lower()
    name_id = (saml.str("nameId", required=False, nullable=True) or "") if saml else ""
    email = name_id.strip().lower() if "@" in name_id else ""
    return [AccountRecord(external_id=login, email=email)] if login else []


class CopilotAdapter:
    """Pulls one GitHub enterprise's or organization's Copilot usage."""

    def __init__(self, *, base_url: str, api_key: str, tenant: str) -> None:
        self.kind, self.slug = parse_tenant(tenant)
        self.client = JsonClient(
            base_url=base_url,
            headers={
                "accept": "application/vnd.github+json",
                "authorization": f"Bearer {api_key}",
                "x-github-api-version": API_VERSION,
            },
            secret=api_key,
        )
        # The report files: another host, a signed URL, and no GitHub token.
        self.downloads = JsonClient(base_url="", headers={"accept": "*/*"}, secret=api_key)
        scope = "enterprises" if self.kind == "enterprise" else "orgs"
        self.report_path = f"/{scope}/{self.slug}/copilot/metrics/reports/users-1-day"
        billing = "enterprises" if self.kind == "enterprise" else "organizations"
        self.bill_path = f"/{billing}/{self.slug}/settings/billing/premium_request/usage"
        self.billing = True  # until the key turns out not to read the bill

    @staticmethod
    def today() -> dt.date:
        return dt.datetime.now(dt.UTC).date()

    def accounts(self) -> Directory:
        query = ENTERPRISE_QUERY if self.kind == "enterprise" else ORG_QUERY
        accounts: list[AccountRecord] = []
        rejected: list[Rejection] = []
        after: str | None = None
        for page in range(1, 1000):
            body = self.client.post(
                GRAPHQL_PATH, {"query": query, "variables": {"slug": self.slug, "after": after}}
            )
            where = f"identities page {page}"
            with keeping(body):
                answer = Reader(body, where)
                data = answer.object("data", required=False)
                owner = (
                    data.object(
                        "organization" if self.kind == "org" else "enterprise", required=False
                    )
                    if data
                    else None
                )
                if owner is not None and self.kind == "enterprise":
                    owner = owner.object("ownerInfo", required=False)
                provider = owner.object("samlIdentityProvider", required=False) if owner else None
                if provider is None:
                    # No SAML (or no right to read it): GraphQL says why in "errors".
                    log.info(
                        "copilot %s/%s: no SAML identities (%s)",
                        self.kind,
                        self.slug,
                        str(answer.obj.get("errors", "none configured"))[:200],
                    )
                    break
                identities = provider.object("externalIdentities")
                for i, node in enumerate(identities.list("nodes"), start=1):
                    place = f"{where}, identity {i}"
                    try:
                        accounts += read_identity(node, place)
                    except ProviderDataError as exc:
                        rejected.append(
                            Rejection(location=place, reason=str(exc), raw=raw_text(node))
                        )
                info = identities.object("pageInfo")
                after = info.str("endCursor", required=False, nullable=True)
                if not info.bool("hasNextPage") or not after:
                    break
        return Directory(accounts, rejected)

    def usage(self, start: dt.date, end: dt.date) -> Iterator[Batch]:
        for day in report_days(start, end, self.today()):
            yield self._day(day)

    def _day(self, day: dt.date) -> Batch:
        """One day's report, every file of it, priced with each user's premium request bill."""
        body = self.client.get(self.report_path, day=day.isoformat())
        batch = Batch()
        if body is None:  # 204: the organization has nothing to report that day
            return batch
        with keeping(body):
            links = Reader(body, f"report of {day}")
            if (reported := links.utc_day("report_day")) != day:
                raise ProviderDataError(f"asked for the report of {day}, got {reported}")
            urls = links.list("download_links")
            for n, url in enumerate(urls, start=1):
                if not isinstance(url, str):
                    raise ProviderDataError(f"report of {day}: link {n} is not a URL")
        seen: set[str] = set()
        for n, url in enumerate(urls, start=1):
            assert isinstance(url, str)
            shown = f"the report file {n} of {day} at {httpx.URL(url).host}"
            data = self.downloads.download(url, shown=shown)
            records, rejected = read_report(data, f"report of {day}, file {n}", day, seen)
            batch.records += records
            batch.rejected += rejected
        bills = {login: self._bill(day, login) for login in {r.account for r in batch.records}}
        batch.records = [replace(r, cost=_cost(r, bills[r.account])) for r in batch.records]
        return batch

    def _bill(self, day: dt.date, login: str) -> Decimal | None:
        """What a login's premium requests cost that day, or None if the key cannot read
        the bill (then no cost is claimed for anyone)."""
        if not self.billing:
            return None
        try:
            body = self.client.get(
                self.bill_path, user=login, year=day.year, month=day.month, day=day.day
            )
        except ProviderRejected as exc:
            # GitHub answers an exhausted rate limit with 403 "API rate limit exceeded"
            # (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
            # that is "later", not "never", and must not turn known costs into unknown ones.
            if "rate limit" in str(exc).lower():
                raise ProviderUnavailable(str(exc)) from exc
            if exc.status == 401:
                raise
            log.warning(
                "copilot %s: the premium request bill is not readable (%s); costs are left unknown",
                self.slug,
                exc,
            )
            self.billing = False
            return None
        return read_bill(body, f"bill of {login} on {day}")

    def check(self) -> str:
        day = self.today() - dt.timedelta(days=2)
        body = self.client.get(self.report_path, day=day.isoformat())
        files = 0 if body is None else len(Reader(body, "report").list("download_links"))
        return (
            f"GitHub answered; the token can read the Copilot users report of {self.kind} "
            f"{self.slug} ({files} file(s) for {day})."
        )

    def close(self) -> None:
        self.client.close()
        self.downloads.close()


def _cost(record: UsageRecord, bill: Decimal | None) -> Decimal | None:
    if bill is None:
        return None
    return bill if record.model == "copilot" else Decimal(0)
