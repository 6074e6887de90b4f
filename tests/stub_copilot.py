"""A stand-in for GitHub's Copilot usage metrics, premium request billing and GraphQL APIs
(on pytest-httpserver's 127.0.0.1 server), and for the storage host that serves the signed
report files (a second server on another port).

References (quoted above each table):
- https://docs.github.com/en/rest/copilot/copilot-usage-metrics (OpenAPI as rendered in
  github/docs src/rest/data/fpt-2026-03-10/copilot.json);
- https://docs.github.com/en/enterprise-cloud@latest/rest/billing/usage (ghec billing.json);
- https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api (errors).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

DATA = Path(__file__).parent / "data" / "copilot"
TOKEN = "ghp_copilot_test_token"
SLUG = "acme"
DOCS = "https://docs.github.com/rest"
MAX_REQUESTS = 600  # a pull of four months asks once a day; an adapter looping gets a 400
# "Reports are available starting from October 10, 2025, and historical data can be accessed
# for up to 1 year from the current date." (users-1-day, both forms)
FIRST_DAY = dt.date(2025, 10, 10)

# GET .../copilot/metrics/reports/users-1-day: one parameter, `day` "The day to request data
# for, in `YYYY-MM-DD` format." (in: query, required: true). GitHub tends to ignore parameters
# it does not know (UNCONFIRMED for these endpoints: the reference is silent); the stub refuses
# them, so the adapter is held to the documented ones.
USERS_1_DAY = {"day"}
# GET .../settings/billing/premium_request/usage: year "an integer with four digits", month
# "an integer between 1 and 12", day "an integer between 1 and 31", user "The user name to
# query usage for. The name is not case sensitive.", model, product; the enterprise form also
# organization and cost_center_id. Status codes: 200, 400 "Bad Request", 403, 404, 500, 503.
BILLING_ORG = {"year", "month", "day", "user", "model", "product"}
BILLING_ENTERPRISE = BILLING_ORG | {"organization", "cost_center_id"}


def error(status: int, message: str) -> Response:
    """GitHub's error body: {"message", "documentation_url", "status"} (the status as text,
    e.g. {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
    "status": "401"})."""
    body = {"message": message, "documentation_url": DOCS, "status": str(status)}
    return Response(json.dumps(body), status=status, content_type="application/json")


def ok(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def report_files() -> dict[str, list[bytes]]:
    """The recorded report files, by day."""
    days: dict[str, list[bytes]] = {}
    for path in sorted(DATA.glob("users-1-day_*_part-*.ndjson")):
        day = path.name.split("_")[1]
        days.setdefault(day, []).append(path.read_bytes())
    return days


class CopilotStub:
    """The GitHub API (users-1-day links, premium request bills, SAML identities) and the report
    files' host. `kind` is "org" or "enterprise", like the connection's tenant."""

    def __init__(self, httpserver: HTTPServer, files: HTTPServer, kind: str = "org") -> None:
        self.base_url = httpserver.url_for("/").rstrip("/")
        self.files_url = files.url_for("/").rstrip("/")
        self.kind = kind
        self.requests = 0
        self.report_requests: list[Request] = []
        self.bill_requests: list[Request] = []
        self.file_requests: list[Request] = []
        self.reports = report_files()  # day -> the bodies of its files
        self.bills = json.loads((DATA / "premium_request_usage.json").read_text())
        self.identities = json.loads((DATA / "external_identities.json").read_text())
        self.identities_per_page = 2
        self.saml = True
        self.billing_status = 200  # 403: a key that cannot read the bill
        self.billing_message = "Resource not accessible by personal access token"
        # Report files that wait until their event is set, by "<day>/<n>" (a slow host).
        self.held: dict[str, threading.Event] = {}
        self.today = dt.datetime.now(dt.UTC).date()
        scope = "enterprises" if kind == "enterprise" else "orgs"
        billing = "enterprises" if kind == "enterprise" else "organizations"
        self.report_path = f"/{scope}/{SLUG}/copilot/metrics/reports/users-1-day"
        self.bill_path = f"/{billing}/{SLUG}/settings/billing/premium_request/usage"
        httpserver.expect_request(self.report_path, method="GET").respond_with_handler(
            self.guarded(self._report)
        )
        httpserver.expect_request(self.bill_path, method="GET").respond_with_handler(
            self.guarded(self._bill)
        )
        httpserver.expect_request("/graphql", method="POST").respond_with_handler(
            self.guarded(self._graphql)
        )
        files.expect_request(re.compile(r"/reports/.*")).respond_with_handler(self._file)

    def guarded(self, handler: Any) -> Any:
        def handle(request: Request) -> Response:
            self.requests += 1
            if self.requests > MAX_REQUESTS:
                return error(400, "stub: endless requests")
            # https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api:
            # "Authorization: Bearer YOUR-TOKEN"; a wrong one answers 401 "Bad credentials".
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return error(401, "Bad credentials")
            # https://docs.github.com/en/rest/about-the-rest-api/api-versions: "If you specify
            # an API version that is no longer supported, you will receive a 400 error."
            version = request.headers.get("X-GitHub-Api-Version", "2022-11-28")
            if version not in ("2022-11-28", "2026-03-10"):
                return error(400, f"Unsupported API version {version}")
            return handler(request)

        return handle

    def signed(self, day: str, n: int) -> str:
        """A signed, expiring URL on the files host (the signature is the stub's own)."""
        path = f"/reports/{day}/part-{n}.ndjson"
        return f"{self.files_url}{path}?sig={hashlib.sha256(path.encode()).hexdigest()[:16]}"

    def _report(self, request: Request) -> Response:
        self.report_requests.append(request)
        unknown = set(request.args) - USERS_1_DAY
        if unknown:
            return error(400, f"Unknown parameter {sorted(unknown)[0]}")
        text = request.args.get("day", "")
        # A missing or malformed day: the reference documents no 400 or 422 for this endpoint
        # (only 200, 204 for organizations, 403, 404, 500): UNCONFIRMED, answered 422 as
        # GitHub answers a failed validation elsewhere.
        try:
            day = dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            day = None
        if day is None:
            return error(422, f"Invalid day {text!r}: expected YYYY-MM-DD")
        # Outside "October 10, 2025" .. "1 year from the current date", or not yet a complete
        # day: UNCONFIRMED which status; answered with the documented 404.
        if day < FIRST_DAY or day < self.today - dt.timedelta(days=365) or day >= self.today:
            return error(404, "Not Found")
        files = self.reports.get(text, [])
        if not files and self.kind == "org":
            # the organization form's documented 204: "A header with no content is returned."
            return Response(status=204)
        return ok(
            {
                "download_links": [self.signed(text, n) for n in range(1, len(files) + 1)],
                "report_day": text,
            }
        )

    def _file(self, request: Request) -> Response:
        self.file_requests.append(request)
        match = re.fullmatch(r"/reports/(\d{4}-\d{2}-\d{2})/part-(\d+)\.ndjson", request.path)
        expected = hashlib.sha256(request.path.encode()).hexdigest()[:16]
        # A signed URL carries its own credential; a bearer token on top is refused (the
        # storage host would reject the request: UNCONFIRMED which status, 400 here).
        if "Authorization" in request.headers:
            return Response("AuthorizationHeaderNotAllowed", status=400)
        if match is None or request.args.get("sig") != expected:
            return Response("AuthenticationFailed", status=403)
        day, n = match.group(1), int(match.group(2))
        if (event := self.held.get(f"{day}/{n}")) is not None:
            event.wait(timeout=60)
        files = self.reports.get(day, [])
        if not 1 <= n <= len(files):
            return Response("BlobNotFound", status=404)
        return Response(files[n - 1], content_type="application/x-ndjson")

    def _bill(self, request: Request) -> Response:
        self.bill_requests.append(request)
        allowed = BILLING_ENTERPRISE if self.kind == "enterprise" else BILLING_ORG
        unknown = set(request.args) - allowed
        if unknown:
            return error(400, f"Unknown parameter {sorted(unknown)[0]}")
        if self.billing_status != 200:
            return error(self.billing_status, self.billing_message)
        limits = {"year": (1000, 9999), "month": (1, 12), "day": (1, 31)}
        period: dict[str, int] = {}
        for name, (low, high) in limits.items():
            if name in request.args:
                value = request.args[name]
                if not value.isdigit() or not low <= int(value) <= high:
                    return error(400, f"Invalid {name} {value!r}")
                period[name] = int(value)
        user = request.args.get("user", "").lower()
        try:
            day = dt.date(period["year"], period["month"], period["day"]).isoformat()
        except (KeyError, ValueError):
            return error(400, "stub: the adapter asks for one user's day")
        owner = "enterprise" if self.kind == "enterprise" else "organization"
        return ok(
            {
                "timePeriod": period,
                owner: SLUG,
                "user": user,
                "usageItems": self.bills.get(f"{user}/{day}", []),
            }
        )

    def _graphql(self, request: Request) -> Response:
        body = json.loads(request.data)
        query, variables = body["query"], body.get("variables") or {}
        if variables.get("slug") != SLUG:
            return ok({"data": None, "errors": [{"type": "NOT_FOUND", "message": "Not found"}]})
        start = int(variables["after"]) if variables.get("after") else 0
        page = self.identities[start : start + self.identities_per_page]
        more = start + self.identities_per_page < len(self.identities)
        provider = (
            {
                "externalIdentities": {
                    "pageInfo": {
                        "hasNextPage": more,
                        "endCursor": str(start + len(page)) if page else None,
                    },
                    "nodes": page,
                }
            }
            if self.saml
            else None
        )
        if "enterprise(slug:" in query:
            data = {"enterprise": {"ownerInfo": {"samlIdentityProvider": provider}}}
        else:
            data = {"organization": {"samlIdentityProvider": provider}}
        return ok({"data": data})
